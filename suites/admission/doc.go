// Package admission is catalog family A: what the API server admits and
// rejects for XBackend (items 1-3, the CRD's own rules, needing only an API
// server), and the hostnames it admits although no XBackend may reach them
// (items 4 and 4b, needing the implementation). The manifests each spec
// applies are the YAML files beside this package.
package admission
