package node

import (
	"fmt"

	"github.com/xbcheck/xbcheck/internal/node/config"
)

// etcdArgs run etcd on loopback, its data in the node's state.
func etcdArgs(n config.Node) []string {
	return []string{
		"--name=xbcheck-node",
		"--data-dir=" + n.Path("etcd"),
		"--listen-client-urls=http://127.0.0.1:2379",
		"--advertise-client-urls=http://127.0.0.1:2379",
		"--listen-peer-urls=http://127.0.0.1:2380",
		"--initial-advertise-peer-urls=http://127.0.0.1:2380",
		"--initial-cluster=xbcheck-node=http://127.0.0.1:2380",
		"--unsafe-no-fsync=true",
	}
}

// apiServerArgs serve on every address of the sandbox (the node's, which
// the kubernetes Service points at, and loopback), with x509 clients, Node
// and RBAC authorization, and service-account tokens signed by the node's
// own key.
func apiServerArgs(n config.Node, f files) []string {
	return []string{
		"--etcd-servers=http://127.0.0.1:2379",
		"--advertise-address=" + n.IP.String(),
		"--bind-address=0.0.0.0",
		fmt.Sprintf("--secure-port=%d", apiServerPort),
		"--cert-dir=" + n.Path("apiserver"),
		"--tls-cert-file=" + f.apiServerCert,
		"--tls-private-key-file=" + f.apiServerKey,
		"--client-ca-file=" + f.ca,
		"--kubelet-client-certificate=" + f.kubeletClientCert,
		"--kubelet-client-key=" + f.kubeletClientKey,
		"--kubelet-preferred-address-types=InternalIP",
		"--service-cluster-ip-range=" + n.ServiceCIDR.String(),
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--service-account-issuer=https://kubernetes.default.svc." + n.ClusterDomain,
		"--service-account-key-file=" + f.serviceAccountPub,
		"--service-account-signing-key-file=" + f.serviceAccountKey,
		"--allow-privileged=true",
		"--profiling=false",
	}
}

// controllerManagerArgs run every controller, each with its own service
// account's credentials, as kubeadm does.
func controllerManagerArgs(f files) []string {
	return []string{
		"--kubeconfig=" + f.controllerManager,
		"--authentication-kubeconfig=" + f.controllerManager,
		"--authorization-kubeconfig=" + f.controllerManager,
		"--bind-address=127.0.0.1",
		"--leader-elect=false",
		"--use-service-account-credentials=true",
		"--service-account-private-key-file=" + f.serviceAccountKey,
		"--root-ca-file=" + f.ca,
	}
}

func schedulerArgs(f files) []string {
	return []string{
		"--kubeconfig=" + f.scheduler,
		"--authentication-kubeconfig=" + f.scheduler,
		"--authorization-kubeconfig=" + f.scheduler,
		"--bind-address=127.0.0.1",
		"--leader-elect=false",
	}
}

// kubeletArgs register the node with its bridge address: a loopback
// address would leave it without an InternalIP.
func kubeletArgs(n config.Node, f files) []string {
	return []string{
		"--config=" + f.kubeletConfig,
		"--kubeconfig=" + f.kubelet,
		"--hostname-override=" + n.Name,
		"--node-ip=" + n.IP.String(),
		"--root-dir=" + n.Path("kubelet"),
	}
}
