package harness

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/xbcheck/xbcheck/fixtures/pki"
)

// caBundle concatenates the CA certificates of the authorities, in order.
func caBundle(authorities []*pki.Authority) string {
	var bundle []byte
	for _, a := range authorities {
		bundle = append(bundle, a.CertPEM...)
	}
	return string(bundle)
}

// CreateCAConfigMap stores the CA certificates of the authorities, in
// order, as ca.crt of ConfigMap name: the shape caCertificateRefs points at.
func (s *T) CreateCAConfigMap(ctx context.Context, name string, authorities ...*pki.Authority) {
	GinkgoHelper()
	s.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: name},
		Data:       map[string]string{pki.ConfigMapCAKey: caBundle(authorities)},
	})
}

// SetCAConfigMap replaces ca.crt of ConfigMap name with the CA
// certificates of the authorities: a CA rotation, or filling a ConfigMap
// that had none.
func (s *T) SetCAConfigMap(ctx context.Context, name string, authorities ...*pki.Authority) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		cm := &corev1.ConfigMap{}
		g.Expect(s.h.Client.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: name}, cm)).To(Succeed())
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		cm.Data[pki.ConfigMapCAKey] = caBundle(authorities)
		g.Expect(s.h.Client.Update(ctx, cm)).To(Succeed())
	}).WithContext(ctx).WithTimeout(s.h.Timeouts.Status).WithPolling(s.h.Timeouts.Poll).Should(Succeed(), "update ConfigMap %s/%s", s.Namespace, name)
	s.Note("ConfigMap %s now holds %d CA certificate(s) in %s", name, len(authorities), pki.ConfigMapCAKey)
}

// DeleteCAConfigMap deletes ConfigMap name, if it exists: the CA a
// reference names taken away.
func (s *T) DeleteCAConfigMap(ctx context.Context, name string) {
	GinkgoHelper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: name}}
	Expect(client.IgnoreNotFound(s.h.Client.Delete(ctx, cm))).To(Succeed(), "delete ConfigMap %s/%s", s.Namespace, name)
}

// CreateTLSSecret stores a leaf (a client certificate) as a
// kubernetes.io/tls Secret name of namespace: the shape
// clientCertificateRef points at.
func (s *T) CreateTLSSecret(ctx context.Context, namespace, name string, leaf *pki.Leaf) {
	GinkgoHelper()
	s.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Type:       corev1.SecretTypeTLS,
		Data:       leaf.SecretData(),
	})
}

// ClientCertificate makes a client CA and a client certificate it signed.
func (s *T) ClientCertificate() (*pki.Authority, *pki.Leaf) {
	GinkgoHelper()
	ca, err := pki.NewAuthority("xbcheck " + s.ShortName + " client CA")
	Expect(err).NotTo(HaveOccurred())
	leaf, err := ca.Issue(pki.LeafOptions{CommonName: "xbcheck gateway " + s.ShortName, Client: true})
	Expect(err).NotTo(HaveOccurred())
	return ca, leaf
}
