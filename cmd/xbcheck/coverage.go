package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/coverage"
	"github.com/xbcheck/xbcheck/internal/runner"
	"github.com/xbcheck/xbcheck/reference/faults"
	"github.com/xbcheck/xbcheck/suites"
)

func newCoverageCommand() *cobra.Command {
	var version, crdDir, format string
	c := &cobra.Command{
		Use:   "coverage",
		Short: "Print the map of the XBackend API surface and the scenarios that exercise each cell",
		Long: `coverage generates, from the CRDs of a Gateway API release, the map of the
XBackend API surface: every field of XBackend's spec and of the HTTPRoute
places that refer to a backend, in its value classes (absent, present, each
enum value, bounds, pattern), every CEL rule in both directions, every
normative sentence, and the behaviour dimensions the API implies (DNS, TLS
chains, protocol negotiation, topology, status). Each cell names the
scenarios that exercise it, found by judging the manifests each scenario
applies with the API server's own validation, or why none can; the last line
is "uncovered: N". It starts no cluster.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if format != coverage.Text && format != coverage.Markdown {
				return runner.UsageError{Err: fmt.Errorf("--format %q: use %s or %s", format, coverage.Text, coverage.Markdown)}
			}
			ctx := c.Context()
			if version != "" {
				if err := cluster.CheckGatewayAPIVersion(version); err != nil {
					return runner.UsageError{Err: err}
				}
			}
			bundle, err := cluster.LoadCRDs(ctx, crdDir, version)
			if bad := (cluster.BadInput{}); errors.As(err, &bad) {
				return runner.UsageError{Err: err}
			}
			if err != nil {
				return err
			}
			specs, quotes, err := coverage.FromSuites(suites.Families(), suites.Sources, bundle.Schema)
			if err != nil {
				return err
			}
			m, err := coverage.Build(ctx, coverage.Input{Bundle: bundle, Specs: specs, Quotes: quotes, NoneCan: coverage.NoneCan, Choices: mapChoices()})
			if err != nil {
				return err
			}
			return m.Write(c.OutOrStdout(), format)
		},
	}
	f := c.Flags()
	f.StringVar(&version, "gateway-api-version", "", "the Gateway API release whose CRDs the map is generated from (default "+cluster.DefaultGatewayAPIVersion()+")")
	f.StringVar(&crdDir, "crds", "", "a folder of CRDs to generate the map from instead of a release")
	f.StringVar(&format, "format", coverage.Text, "text or markdown")
	return c
}

// mapChoices are the reference gateway's choices, for the map's sentences
// that leave a behaviour open.
func mapChoices() []coverage.Choice {
	var out []coverage.Choice
	for _, c := range faults.Choices() {
		out = append(out, coverage.Choice{Name: string(c.Name), Sentence: c.Sentence})
	}
	return out
}
