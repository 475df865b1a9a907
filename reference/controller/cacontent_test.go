package controller

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/fixtures/pki"
	"github.com/xbcheck/xbcheck/reference/faults"
)

// The ca-content-validation choice refuses a CA bundle holding a
// certificate that is not a CA's, and takes a CA's; without it the
// bundle is taken as it is.
func TestCAContentValidation(t *testing.T) {
	ca, err := pki.NewAuthority("content test CA")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Issue(pki.LeafOptions{CommonName: "api.xbcheck.test", DNSNames: []string{"api.xbcheck.test"}})
	if err != nil {
		t.Fatal(err)
	}
	refs := References{ConfigMaps: map[string]*corev1.ConfigMap{
		"ca":   {Data: ca.ConfigMapData()},
		"leaf": {Data: map[string]string{CAKey: string(leaf.CertPEM)}},
	}}
	ref := func(name string) gatewayv1.LocalObjectReference {
		return gatewayv1.LocalObjectReference{Kind: "ConfigMap", Name: gatewayv1.ObjectName(name)}
	}
	choice := faults.Set{faults.CAContentValidation: true}
	if _, r := checkedCABundle(0, ref("ca"), refs, choice); r != nil {
		t.Errorf("a CA's certificate refused: %v", r)
	}
	_, r := checkedCABundle(0, ref("leaf"), refs, choice)
	if r == nil || r.Reason != ReasonNoValidCACertificate || !strings.Contains(r.Message, "not a CA certificate") {
		t.Errorf("a leaf certificate as CA: refusal %v, want NoValidCACertificate saying it is not a CA certificate", r)
	}
	if _, r := checkedCABundle(0, ref("leaf"), refs, faults.Set{}); r != nil {
		t.Errorf("without the choice the bundle is refused: %v", r)
	}
}
