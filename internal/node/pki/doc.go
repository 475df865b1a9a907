// Package pki makes the certificates of a single-node cluster: one CA, the
// API server's serving certificate with every name pods and clients use
// (the kubernetes Service's names and ClusterIP, the node's address,
// localhost), and client certificates whose subject is the identity RBAC
// knows (system:kube-controller-manager, system:node:NAME in
// system:nodes, ...). Keys are ECDSA P-256, made fresh for every node.
//
//	ca, err := pki.NewCA("xbcheck-node-ca")
//	cert, key, err := ca.Issue(pki.Spec{CommonName: "kube-apiserver", Server: true, DNSNames: names, IPs: ips})
package pki
