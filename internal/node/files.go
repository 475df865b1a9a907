package node

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/node/config"
	"github.com/xbcheck/xbcheck/internal/node/pki"
)

// files are the paths of what writeFiles wrote.
type files struct {
	ca, apiServerCert, apiServerKey, kubeletClientCert, kubeletClientKey, serviceAccountKey, serviceAccountPub string
	controllerManager, scheduler, kubelet, kubeProxy                                                           string // kubeconfigs
	containerd, kubeletConfig, kubeProxyConfig                                                                 string
}

// identity is a client of the API server and the kubeconfig it gets.
type identity struct {
	user, group string
	kubeconfig  *string
}

// writeFiles makes the node's PKI and writes every configuration file: the
// admin kubeconfig at admin, everything else in the node's state.
func writeFiles(n config.Node, a Assets, admin string) (files, error) {
	f := files{
		ca:                n.Path("pki", "ca.crt"),
		apiServerCert:     n.Path("pki", "apiserver.crt"),
		apiServerKey:      n.Path("pki", "apiserver.key"),
		kubeletClientCert: n.Path("pki", "apiserver-kubelet-client.crt"),
		kubeletClientKey:  n.Path("pki", "apiserver-kubelet-client.key"),
		serviceAccountKey: n.Path("pki", "sa.key"),
		serviceAccountPub: n.Path("pki", "sa.pub"),
		containerd:        n.Path("containerd.toml"),
		kubeletConfig:     n.Path("kubelet.yaml"),
		kubeProxyConfig:   n.Path("kube-proxy.yaml"),
	}
	w := writer{}
	ca, err := pki.NewCA("xbcheck-node-ca")
	if err != nil {
		return f, err
	}
	w.write(f.ca, ca.PEM)
	apiService := n.ServiceCIDR.Addr().Next()
	cert, key, err := ca.Issue(pki.Spec{
		CommonName: "kube-apiserver",
		DNSNames:   []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc." + n.ClusterDomain, "localhost"},
		IPs:        []netip.Addr{apiService, n.IP, netip.MustParseAddr("127.0.0.1")},
		Server:     true,
	})
	if err != nil {
		return f, err
	}
	w.write(f.apiServerCert, cert)
	w.write(f.apiServerKey, key)
	// The API server's identity towards kubelets (logs, exec).
	cert, key, err = ca.Issue(pki.Spec{CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}, Client: true})
	if err != nil {
		return f, err
	}
	w.write(f.kubeletClientCert, cert)
	w.write(f.kubeletClientKey, key)
	saKey, err := pki.NewKey()
	if err != nil {
		return f, err
	}
	saPEM, err := pki.KeyPEM(saKey)
	if err != nil {
		return f, err
	}
	w.write(f.serviceAccountKey, saPEM)
	saPub, err := pki.PublicKeyPEM(saKey)
	if err != nil {
		return f, err
	}
	w.write(f.serviceAccountPub, saPub)

	server := "https://" + netip.AddrPortFrom(n.IP, apiServerPort).String()
	adminPath := admin
	for _, id := range []identity{
		{user: "xbcheck-admin", group: "system:masters", kubeconfig: &adminPath},
		{user: "system:kube-controller-manager", kubeconfig: &f.controllerManager},
		{user: "system:kube-scheduler", kubeconfig: &f.scheduler},
		{user: "system:node:" + n.Name, group: "system:nodes", kubeconfig: &f.kubelet},
		{user: "system:kube-proxy", kubeconfig: &f.kubeProxy},
	} {
		spec := pki.Spec{CommonName: id.user, Client: true}
		if id.group != "" {
			spec.Organization = []string{id.group}
		}
		cert, key, err := ca.Issue(spec)
		if err != nil {
			return f, err
		}
		b, err := config.Kubeconfig(server, id.user, config.Credentials{CA: ca.PEM, Cert: cert, Key: key})
		if err != nil {
			return f, err
		}
		if *id.kubeconfig == "" {
			*id.kubeconfig = n.Path("kubeconfigs", filepath.Base(sanitize(id.user))+".kubeconfig")
		}
		w.write(*id.kubeconfig, b)
	}
	w.write(f.containerd, []byte(config.Containerd(n, config.Runtime{
		Runc:    a.Node.Path(binaries.Runc),
		CNIDir:  a.Node.Folder(binaries.CNIBridge),
		Sandbox: a.Pause.Ref,
	})))
	w.write(n.Path("cni", "10-xbcheck.conflist"), []byte(config.CNI(n)))
	w.write(f.kubeletConfig, []byte(config.Kubelet(n, config.KubeletFiles{ClientCA: f.ca})))
	w.write(f.kubeProxyConfig, []byte(config.KubeProxy(n, f.kubeProxy)))
	return f, w.err
}

// sanitize turns a user name into a file name.
func sanitize(user string) string {
	b := []byte(user)
	for i, c := range b {
		if c == ':' {
			b[i] = '-'
		}
	}
	return string(b)
}

// writer writes files, creating their folders, and keeps the first error.
type writer struct{ err error }

func (w *writer) write(path string, b []byte) {
	if w.err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		w.err = err
		return
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		w.err = fmt.Errorf("write %s: %w", path, err)
	}
}
