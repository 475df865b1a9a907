package suites

import "embed"

// manifests are the YAML templates specs apply, in a folder per scenario
// group beside the group's file. Placeholders every template may use:
// {{.Namespace}}, {{.Hostname}} (the spec's own name in the test zone),
// {{.GatewayClass}}, {{.ListenerPort}}; specs add their own (e.g. {{.Port}}).
//
//go:embed admission/*.yaml common/*.yaml routing/*.yaml tls/*.yaml protocol/*.yaml rebinding/*.yaml
var manifests embed.FS
