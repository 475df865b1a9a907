package coredns

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// CoreDNS as kubeadm, kind and xbcheck's node deploy it: a Deployment in
// kube-system labelled k8s-app=kube-dns (the label of the kube-dns Service's
// selector) mounting a ConfigMap whose key Corefile is its configuration.
const (
	namespace   = metav1.NamespaceSystem
	dnsSelector = "k8s-app=kube-dns"
	corefileKey = "Corefile"
)

// errNoCoreDNS marks the errors of find that say the cluster runs no
// CoreDNS it can find.
var errNoCoreDNS = errors.New("no CoreDNS found")

// server is CoreDNS in a cluster: its Deployment and the ConfigMap holding
// its Corefile, both in namespace.
type server struct {
	deployment, configMap string
}

// find finds CoreDNS through the Deployments labelled k8s-app=kube-dns
// and the ConfigMaps they mount.
func find(ctx context.Context, cs kubernetes.Interface) (server, error) {
	deps, err := cs.AppsV1().Deployments(namespace).List(ctx, metav1.ListOptions{LabelSelector: dnsSelector})
	if err != nil {
		return server{}, fmt.Errorf("look for CoreDNS (Deployments labelled %s in %s): %w", dnsSelector, namespace, err)
	}
	if len(deps.Items) == 0 {
		return server{}, fmt.Errorf("%w: no Deployment labelled %s in %s; xbcheck forwards its test zone through CoreDNS, so use a cluster that runs it (kind, kubeadm, --provider node)", errNoCoreDNS, dnsSelector, namespace)
	}
	var looked []string
	for i := range deps.Items {
		d := &deps.Items[i]
		for _, name := range configMaps(d) {
			cm, err := cs.CoreV1().ConfigMaps(namespace).Get(ctx, name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return server{}, fmt.Errorf("read CoreDNS's ConfigMap %s/%s: %w", namespace, name, err)
			}
			if _, ok := cm.Data[corefileKey]; ok {
				return server{deployment: d.Name, configMap: name}, nil
			}
		}
		looked = append(looked, d.Name)
	}
	return server{}, fmt.Errorf("%w: the Deployments labelled %s in %s (%s) mount no ConfigMap with a key %s; xbcheck forwards its test zone through CoreDNS, so use a cluster that runs it (kind, kubeadm, --provider node)",
		errNoCoreDNS, dnsSelector, namespace, strings.Join(looked, ", "), corefileKey)
}

// configMaps names the ConfigMaps d's pods mount as volumes.
func configMaps(d *appsv1.Deployment) []string {
	var names []string
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil {
			names = append(names, v.ConfigMap.Name)
		}
	}
	return names
}

// mounting names the Deployments of ns whose pods mount ConfigMap name.
func mounting(ctx context.Context, cs kubernetes.Interface, ns, name string) ([]string, error) {
	deps, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("look for the Deployments mounting ConfigMap %s/%s: %w", ns, name, err)
	}
	var names []string
	for i := range deps.Items {
		if slices.Contains(configMaps(&deps.Items[i]), name) {
			names = append(names, deps.Items[i].Name)
		}
	}
	return names, nil
}
