package coredns

import (
	"context"
	"errors"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// ClusterDomain returns the cluster DNS domain the cluster's CoreDNS
// serves (found as [Add] finds it): the first zone of the kubernetes
// plugin in its Corefile that is not a reverse zone, lower case, without
// the trailing dot. It is "", with no error, when the cluster runs no
// CoreDNS (an embedded control plane) or the Corefile names no such zone.
func ClusterDomain(ctx context.Context, cs kubernetes.Interface) (string, error) {
	srv, err := find(ctx, cs)
	if errors.Is(err, errNoCoreDNS) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	cm, err := cs.CoreV1().ConfigMaps(namespace).Get(ctx, srv.configMap, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("read CoreDNS's ConfigMap %s/%s for the cluster's DNS domain: %w", namespace, srv.configMap, err)
	}
	return clusterDomain(cm.Data[corefileKey]), nil
}

// clusterDomain returns the first zone of the kubernetes plugin in
// corefile that is not a reverse zone (under .arpa), or "".
func clusterDomain(corefile string) string {
	ts := tokens(corefile)
	for i, t := range ts {
		// The plugin's name starts a line; its zones follow on that line,
		// up to its block.
		if t.quoted || t.text != "kubernetes" || i > 0 && ts[i-1].line == t.line {
			continue
		}
		for _, z := range ts[i+1:] {
			if z.line != t.line || !z.quoted && z.text == "{" {
				break
			}
			zone := strings.ToLower(strings.TrimSuffix(z.text, "."))
			if zone != "" && zone != "arpa" && !strings.HasSuffix(zone, ".arpa") {
				return zone
			}
		}
	}
	return ""
}
