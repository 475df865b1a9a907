package coredns

import (
	"context"
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes/fake"
)

// ClusterDomain reads the Corefile of the ConfigMap CoreDNS mounts,
// whatever its name, and says "" where the cluster runs no CoreDNS.
func TestClusterDomainOfACluster(t *testing.T) {
	ctx := context.Background()
	custom := strings.Replace(kindCorefile, "kubernetes cluster.local", "kubernetes corp.internal", 1)
	for _, tc := range []struct {
		name string
		cs   *fake.Clientset
		want string
	}{
		{"kubeadm's", newFakeDNS(t, namespace, "coredns", kindCorefile, 1).Clientset, "cluster.local"},
		{"a ConfigMap of another name", newFakeDNS(t, namespace, "kube-dns", custom, 1).Clientset, "corp.internal"},
		{"CoreDNS outside kube-system", newFakeDNS(t, "elsewhere", "coredns", custom, 1).Clientset, ""},
		{"no CoreDNS", fake.NewClientset(), ""},
	} {
		got, err := ClusterDomain(ctx, tc.cs)
		if err != nil || got != tc.want {
			t.Errorf("%s: ClusterDomain = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}
