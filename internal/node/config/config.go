package config

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Node is the plan of one node: where its files live and its addresses.
type Node struct {
	// State is the folder of the node's state (a tmpfs of its own).
	State string
	// Name is the Node object's name.
	Name string
	// IP is the node's address, on Bridge; the API server advertises it.
	IP netip.Addr
	// Bridge is the Linux bridge the pods' veth pairs join.
	Bridge string
	// PodCIDR holds the pods' addresses (IP is its first).
	PodCIDR netip.Prefix
	// ServiceCIDR holds ClusterIPs: its first address is the kubernetes
	// Service's, DNS is the cluster DNS Service's.
	ServiceCIDR netip.Prefix
	DNS         netip.Addr
	// ClusterDomain is the DNS domain of Services (cluster.local).
	ClusterDomain string
	// CgroupRoot is the cgroup the node's pods go under.
	CgroupRoot string
}

// Path returns the path of a file or folder of the node's state.
func (n Node) Path(elem ...string) string {
	return filepath.Join(append([]string{n.State}, elem...)...)
}

// Socket is containerd's gRPC socket.
func (n Node) Socket() string { return n.Path("containerd", "containerd.sock") }

// Runtime names the binaries containerd runs.
type Runtime struct {
	Runc    string
	CNIDir  string
	Sandbox string // the pause image
}

// Containerd renders containerd's configuration (version 3): state and
// sockets under the node's state, runc and the CNI plugins from xbcheck's
// cache, the pause image as the pinned sandbox image, and no plugin that
// writes outside the state (NRI, /opt) or needs what is absent here.
func Containerd(n Node, r Runtime) string {
	return fmt.Sprintf(`version = 3
root = %q
state = %q
disabled_plugins = [
  "io.containerd.nri.v1.nri",
  "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.blockfile",
  "io.containerd.snapshotter.v1.erofs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = %q

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = %q

[plugins.'io.containerd.cri.v1.runtime']
  # Writing a negative oom_score_adj is denied where the node runs.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  cdi_spec_dirs = []
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = %q
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = [%q]
    conf_dir = %q
`, n.Path("containerd", "root"), n.Path("containerd", "state"), n.Socket(), r.Sandbox, r.Runc, r.CNIDir, n.Path("cni"))
}

// CNI renders the pod network: a bridge with the node's address as the
// pods' gateway, addresses from PodCIDR (host-local, state under the
// node's state), no masquerading (nothing leaves the node), and hairpin
// mode, so a pod reaches itself through a Service, as Kubernetes
// conformance requires (xbcheck's fakes pod checks its own Services so).
func CNI(n Node) string {
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "xbcheck",
		"plugins": []any{map[string]any{
			"type":        "bridge",
			"bridge":      n.Bridge,
			"isGateway":   true,
			"ipMasq":      false,
			"hairpinMode": true,
			"ipam": map[string]any{
				"type":    "host-local",
				"ranges":  [][]map[string]string{{{"subnet": n.PodCIDR.String(), "gateway": n.IP.String(), "rangeStart": n.PodCIDR.Addr().Next().Next().String()}}},
				"routes":  []map[string]string{{"dst": "0.0.0.0/0"}},
				"dataDir": n.Path("cni-ipam"),
			},
		}},
	}
	b, _ := json.MarshalIndent(conf, "", "  ")
	return string(b) + "\n"
}

// KubeletFiles are the files the kubelet's configuration names.
type KubeletFiles struct {
	ClientCA string
}

// Kubelet renders the kubelet's configuration for a node that runs in a
// sandbox of a shared machine: cgroupfs under CgroupRoot without QoS
// cgroups (cgroup v1 accepted), no swap check, no eviction or image
// garbage collection (images cannot be pulled back), x509 and webhook
// authentication and authorization like a real cluster, kernel defaults
// protected (the kubelet must never change the host's sysctls).
func Kubelet(n Node, f KubeletFiles) string {
	return fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: %s
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: %q}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
cgroupRoot: %q
cgroupsPerQOS: false
enforceNodeAllocatable: []
failCgroupV1: false
failSwapOn: false
localStorageCapacityIsolation: false
protectKernelDefaults: true
clusterDNS: [%s]
clusterDomain: %s
resolvConf: ""
containerRuntimeEndpoint: unix://%s
podLogsDir: %q
evictionHard: {}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
rotateCertificates: false
serverTLSBootstrap: false
`, n.IP, f.ClientCA, n.CgroupRoot, n.DNS, n.ClusterDomain, n.Socket(), n.Path("pod-logs"))
}

// KubeProxy renders kube-proxy's configuration: iptables mode, and no
// conntrack sysctl changed (they are not all the namespace's own).
func KubeProxy(n Node, kubeconfig string) string {
	return fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: %q}
hostnameOverride: %s
bindAddress: %s
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
mode: iptables
clusterCIDR: %s
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`, kubeconfig, n.Name, n.IP, n.PodCIDR)
}

// Credentials are a client's certificate and key, and the CA that signed
// the API server's certificate, all PEM.
type Credentials struct {
	CA, Cert, Key []byte
}

// Kubeconfig renders a kubeconfig that reaches server with c.
func Kubeconfig(server, user string, c Credentials) ([]byte, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["xbcheck"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: c.CA}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: c.Cert, ClientKeyData: c.Key}
	cfg.Contexts["xbcheck"] = &clientcmdapi.Context{Cluster: "xbcheck", AuthInfo: user}
	cfg.CurrentContext = "xbcheck"
	return clientcmd.Write(*cfg)
}

// Corefile renders CoreDNS's configuration: the cluster domain from the
// API server, and each stub zone forwarded to its servers. Every other
// name is refused: nothing is forwarded out of the node.
func Corefile(domain string, stubZones map[string][]netip.AddrPort) string {
	var b strings.Builder
	fmt.Fprintf(&b, `.:53 {
    errors
    health :8080
    ready :8181
    kubernetes %s in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 30
    loop
}
`, domain)
	zones := make([]string, 0, len(stubZones))
	for z := range stubZones {
		zones = append(zones, z)
	}
	sort.Strings(zones)
	for _, z := range zones {
		var servers []string
		for _, s := range stubZones[z] {
			servers = append(servers, s.String())
		}
		fmt.Fprintf(&b, "%s:53 {\n    errors\n    forward . %s\n}\n", strings.TrimSuffix(z, "."), strings.Join(servers, " "))
	}
	return b.String()
}
