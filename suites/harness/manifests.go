package harness

import "embed"

// common holds the manifests every family may apply: the spec's Gateway.
//
//go:embed gateway.yaml
var common embed.FS
