package controller

import (
	"crypto/x509"
	"encoding/pem"
	"time"

	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/reference/faults"
)

// checkedCABundle is caBundle and, with the ca-content-validation choice,
// the further validation of the certificate content the API allows: every
// PEM block of the bundle must be a certificate of a CA that is valid now.
func checkedCABundle(i int, ref gatewayv1.LocalObjectReference, refs References, fs faults.Set) ([]byte, *Refusal) {
	bundle, r := caBundle(i, ref, refs)
	if r != nil || !fs.Has(faults.CAContentValidation) {
		return bundle, r
	}
	now := time.Now()
	rest := bundle
	for n := 0; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return bundle, nil
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		switch {
		case block.Type != "CERTIFICATE" || err != nil:
			return nil, refuse(ReasonNoValidCACertificate, "caCertificateRefs[%d]: ConfigMap %s: PEM block %d is not a certificate: keep only CA certificates in %s", i, ref.Name, n, CAKey)
		case !cert.IsCA:
			return nil, refuse(ReasonNoValidCACertificate, "caCertificateRefs[%d]: ConfigMap %s: certificate %d (%s) is not a CA certificate: put the CA that signs the backend's certificate in %s", i, ref.Name, n, cert.Subject, CAKey)
		case now.Before(cert.NotBefore) || now.After(cert.NotAfter):
			return nil, refuse(ReasonNoValidCACertificate, "caCertificateRefs[%d]: ConfigMap %s: CA certificate %d (%s) is outside its validity period (%s to %s): replace it", i, ref.Name, n, cert.Subject, cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339))
		}
	}
}
