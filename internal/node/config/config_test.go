package config

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

func testNode() Node {
	return Node{
		State:         "/state",
		Name:          "n1",
		IP:            netip.MustParseAddr("10.88.0.1"),
		Bridge:        "xbnode0",
		PodCIDR:       netip.MustParsePrefix("10.88.0.0/24"),
		ServiceCIDR:   netip.MustParsePrefix("10.96.0.0/16"),
		DNS:           netip.MustParseAddr("10.96.0.10"),
		ClusterDomain: "cluster.local",
		CgroupRoot:    "/xbcheck-node-1",
	}
}

func TestContainerdKeepsEverythingUnderTheState(t *testing.T) {
	got := Containerd(testNode(), Runtime{Runc: "/cache/runc", CNIDir: "/cache/cni", Sandbox: "xbcheck.local/pause:v1"})
	for _, want := range []string{
		`root = "/state/containerd/root"`,
		`state = "/state/containerd/state"`,
		`address = "/state/containerd/containerd.sock"`,
		`sandbox = "xbcheck.local/pause:v1"`,
		`BinaryName = "/cache/runc"`,
		`bin_dirs = ["/cache/cni"]`,
		`conf_dir = "/state/cni"`,
		`restrict_oom_score_adj = true`,
		`netns_mounts_under_state_dir = true`,
		`"io.containerd.nri.v1.nri"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("containerd config lacks %s:\n%s", want, got)
		}
	}
}

func TestCNIIsABridgeWithTheNodeAsGateway(t *testing.T) {
	var conf struct {
		Plugins []struct {
			Type, Bridge string
			IsGateway    bool
			IPMasq       bool
			HairpinMode  bool
			IPAM         struct {
				Ranges  [][]map[string]string
				DataDir string
			}
		}
	}
	if err := json.Unmarshal([]byte(CNI(testNode())), &conf); err != nil {
		t.Fatal(err)
	}
	p := conf.Plugins[0]
	r := p.IPAM.Ranges[0][0]
	if p.Type != "bridge" || p.Bridge != "xbnode0" || !p.IsGateway || p.IPMasq || !p.HairpinMode || r["gateway"] != "10.88.0.1" || r["subnet"] != "10.88.0.0/24" || r["rangeStart"] != "10.88.0.2" || p.IPAM.DataDir != "/state/cni-ipam" {
		t.Fatalf("CNI plugin %+v", p)
	}
}

func TestKubeletAndKubeProxyAreValidYAML(t *testing.T) {
	var kubelet map[string]any
	if err := yaml.UnmarshalStrict([]byte(Kubelet(testNode(), KubeletFiles{ClientCA: "/state/ca.crt"})), &kubelet); err != nil {
		t.Fatal(err)
	}
	if kubelet["cgroupRoot"] != "/xbcheck-node-1" || kubelet["protectKernelDefaults"] != true || kubelet["containerRuntimeEndpoint"] != "unix:///state/containerd/containerd.sock" {
		t.Errorf("kubelet config %v", kubelet)
	}
	var proxy map[string]any
	if err := yaml.UnmarshalStrict([]byte(KubeProxy(testNode(), "/state/proxy.kubeconfig")), &proxy); err != nil {
		t.Fatal(err)
	}
	if proxy["mode"] != "iptables" || proxy["clusterCIDR"] != "10.88.0.0/24" {
		t.Errorf("kube-proxy config %v", proxy)
	}
}

func TestKubeconfigLoads(t *testing.T) {
	b, err := Kubeconfig("https://10.88.0.1:6443", "admin", Credentials{CA: []byte("ca"), Cert: []byte("cert"), Key: []byte("key")})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.Clusters[cfg.Contexts[cfg.CurrentContext].Cluster]; c.Server != "https://10.88.0.1:6443" || string(c.CertificateAuthorityData) != "ca" {
		t.Fatalf("cluster %+v", c)
	}
	if u := cfg.AuthInfos["admin"]; string(u.ClientCertificateData) != "cert" || string(u.ClientKeyData) != "key" {
		t.Fatalf("user %+v", u)
	}
}

func TestCorefileForwardsOnlyStubZones(t *testing.T) {
	got := Corefile("cluster.local", map[string][]netip.AddrPort{
		"xbcheck.test.": {netip.MustParseAddrPort("10.88.0.1:5353")},
		"a.test":        {netip.MustParseAddrPort("10.88.0.1:53"), netip.MustParseAddrPort("10.88.0.2:53")},
	})
	for _, want := range []string{"kubernetes cluster.local in-addr.arpa ip6.arpa", "a.test:53 {\n    errors\n    forward . 10.88.0.1:53 10.88.0.2:53\n}", "xbcheck.test:53 {\n    errors\n    forward . 10.88.0.1:5353\n}"} {
		if !strings.Contains(got, want) {
			t.Errorf("Corefile lacks %q:\n%s", want, got)
		}
	}
	if strings.Index(got, "a.test") > strings.Index(got, "xbcheck.test") {
		t.Error("stub zones are not in a stable order")
	}
	if strings.Count(got, "forward") != 2 {
		t.Errorf("the root zone must forward nowhere:\n%s", got)
	}
}
