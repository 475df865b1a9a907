package node

import (
	"crypto/x509"
	"encoding/pem"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/xbcheck/xbcheck/internal/binaries"
)

func TestWriteFilesGivesEachClientItsIdentity(t *testing.T) {
	dir := t.TempDir()
	n := plan(filepath.Join(dir, "state"), "/xbcheck-node-test")
	a := Assets{Node: binaries.Set{Dir: "/cache"}, Pause: Image{Ref: "xbcheck.local/pause:v1"}}
	f, err := writeFiles(n, a, filepath.Join(dir, "kubeconfig"))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]struct{ user, group string }{
		filepath.Join(dir, "kubeconfig"): {"xbcheck-admin", "system:masters"},
		f.controllerManager:              {"system:kube-controller-manager", ""},
		f.scheduler:                      {"system:kube-scheduler", ""},
		f.kubelet:                        {"system:node:" + nodeName, "system:nodes"},
		f.kubeProxy:                      {"system:kube-proxy", ""},
	} {
		cfg, err := clientcmd.LoadFromFile(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		ctx := cfg.Contexts[cfg.CurrentContext]
		if server := cfg.Clusters[ctx.Cluster].Server; server != "https://10.88.0.1:6443" {
			t.Errorf("%s reaches %s, want the node's address", path, server)
		}
		cert := parseCert(t, cfg.AuthInfos[ctx.AuthInfo].ClientCertificateData)
		if cert.Subject.CommonName != want.user || (want.group != "" && !slices.Equal(cert.Subject.Organization, []string{want.group})) {
			t.Errorf("%s authenticates as %v, want %s in %q", path, cert.Subject, want.user, want.group)
		}
	}
	ca := x509.NewCertPool()
	caPEM, _ := os.ReadFile(f.ca)
	ca.AppendCertsFromPEM(caPEM)
	servingPEM, _ := os.ReadFile(f.apiServerCert)
	serving := parseCert(t, servingPEM)
	// What pods (through the kubernetes Service) and the node's own
	// clients dial.
	for _, name := range []string{"10.96.0.1", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "10.88.0.1", "127.0.0.1"} {
		if _, err := serving.Verify(x509.VerifyOptions{DNSName: name, Roots: ca}); err != nil {
			t.Errorf("the API server's certificate does not verify for %s: %v", name, err)
		}
	}
	for _, path := range []string{f.containerd, f.kubeletConfig, f.kubeProxyConfig, n.Path("cni", "10-xbcheck.conflist"), f.serviceAccountKey, f.serviceAccountPub} {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s was not written: %v", path, err)
		}
	}
	if b, _ := os.ReadFile(f.kubeProxyConfig); !strings.Contains(string(b), f.kubeProxy) {
		t.Error("kube-proxy's configuration does not name its kubeconfig")
	}
}

func TestArgsNameTheFiles(t *testing.T) {
	n := plan("/state", "/cg")
	f := files{ca: "/ca", serviceAccountKey: "/sa.key", serviceAccountPub: "/sa.pub", controllerManager: "/kcm", kubeletConfig: "/kubelet.yaml", kubelet: "/kubelet.kubeconfig"}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{apiServerArgs(n, f), []string{"--advertise-address=10.88.0.1", "--service-cluster-ip-range=10.96.0.0/16", "--service-account-key-file=/sa.pub", "--service-account-signing-key-file=/sa.key", "--authorization-mode=Node,RBAC", "--client-ca-file=/ca"}},
		{controllerManagerArgs(f), []string{"--service-account-private-key-file=/sa.key", "--root-ca-file=/ca", "--use-service-account-credentials=true", "--kubeconfig=/kcm"}},
		{kubeletArgs(n, f), []string{"--node-ip=10.88.0.1", "--config=/kubelet.yaml", "--kubeconfig=/kubelet.kubeconfig", "--root-dir=/state/kubelet"}},
		{etcdArgs(n), []string{"--data-dir=/state/etcd", "--listen-client-urls=http://127.0.0.1:2379"}},
	} {
		for _, w := range tc.want {
			if !slices.Contains(tc.args, w) {
				t.Errorf("%q lacks %s", tc.args, w)
			}
		}
	}
}

func TestPlanAvoidsTheSandboxPlan(t *testing.T) {
	n := plan("/state", "/cg")
	for _, a := range []string{"10.244.0.10", "192.0.2.10", "203.0.113.1", "169.254.169.254"} {
		if n.PodCIDR.Contains(mustAddr(a)) || n.ServiceCIDR.Contains(mustAddr(a)) {
			t.Errorf("the node's plan covers %s, an address of the sandbox's plan", a)
		}
	}
	if n.IP != n.PodCIDR.Addr().Next() || !n.ServiceCIDR.Contains(n.DNS) {
		t.Errorf("plan %+v", n)
	}
}

func TestMissingPackagesSeparatesBuildNeeds(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	runtime := MissingPackages(false)
	if !slices.Equal(runtime, []string{"iptables"}) {
		t.Errorf("with nothing on PATH, a node lacks %v to run, want [iptables]", runtime)
	}
	build := MissingPackages(true)
	for _, want := range []string{"iptables", "gcc", "pkg-config"} {
		if !slices.Contains(build, want) {
			t.Errorf("with nothing on PATH, a build lacks %v, want %s among them", build, want)
		}
	}
}

func parseCert(t *testing.T, b []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatal("no PEM certificate")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
