package suites

import "embed"

// Sources are the families' Go files, read by the coverage map to find
// the manifests each test applies (internal/coverage).
//
//go:embed */*.go
var Sources embed.FS
