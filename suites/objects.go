package suites

import (
	"context"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/xbcheck/xbcheck/fixtures/pki"
)

// createCAConfigMap stores the CA certificates of the authorities, in
// order, as ca.crt of ConfigMap name: the shape caCertificateRefs points at.
func (s *spec) createCAConfigMap(ctx context.Context, name string, authorities ...*pki.Authority) *corev1.ConfigMap {
	var bundle []byte
	for _, a := range authorities {
		bundle = append(bundle, a.CertPEM...)
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.namespace, Name: name},
		Data:       map[string]string{pki.ConfigMapCAKey: string(bundle)},
	}
	ExpectWithOffset(1, k8sClient.Create(ctx, cm)).To(Succeed())
	return cm
}

// createTLSSecret stores a leaf (a client certificate) as a
// kubernetes.io/tls Secret: the shape clientCertificateRef points at.
func (s *spec) createTLSSecret(ctx context.Context, name string, leaf *pki.Leaf) *corev1.Secret {
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.namespace, Name: name},
		Type:       corev1.SecretTypeTLS,
		Data:       leaf.SecretData(),
	}
	ExpectWithOffset(1, k8sClient.Create(ctx, sec)).To(Succeed())
	return sec
}
