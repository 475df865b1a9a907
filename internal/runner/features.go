package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/suites"
)

// FeatureOptions choose the features specs run for, as upstream's
// conformance suite does: --all-features, or --supported-features, minus
// --exempt-features; with none of them, the GatewayClass's
// status.supportedFeatures.
type FeatureOptions struct {
	All       bool
	Supported []string
	Exempt    []string
}

// parseFeatures checks every name against the suite's features.
func parseFeatures(flag string, names []string) ([]suites.Feature, error) {
	var out []suites.Feature
	for _, n := range names {
		f := suites.Feature(strings.TrimSpace(n))
		if !slices.Contains(suites.Features, f) {
			return nil, usagef("%s: unknown feature %q; use one of %s", flag, n, featureList())
		}
		out = append(out, f)
	}
	return out, nil
}

// validate rejects unknown feature names before anything starts.
func (o FeatureOptions) validate() error {
	if _, err := parseFeatures("--supported-features", o.Supported); err != nil {
		return err
	}
	_, err := parseFeatures("--exempt-features", o.Exempt)
	return err
}

// resolve computes the feature set, reading the GatewayClass when the
// options name no features.
func (o FeatureOptions) resolve(ctx context.Context, k client.Client, class string) (suites.FeatureSet, error) {
	supported, _ := parseFeatures("--supported-features", o.Supported)
	exempt, _ := parseFeatures("--exempt-features", o.Exempt)
	set := suites.FeatureSet{Supported: map[suites.Feature]bool{}}
	switch {
	case o.All:
		set.Source = "--all-features"
		for _, f := range suites.Features {
			set.Supported[f] = true
		}
	case len(supported) > 0:
		set.Source = "--supported-features"
		for _, f := range supported {
			set.Supported[f] = true
		}
	default:
		var gc gatewayv1.GatewayClass
		if err := k.Get(ctx, client.ObjectKey{Name: class}, &gc); err != nil {
			return set, fmt.Errorf("read GatewayClass %s for its supported features: %w", class, err)
		}
		set.Source = "GatewayClass " + class + " status.supportedFeatures"
		for _, f := range gc.Status.SupportedFeatures {
			set.Supported[suites.Feature(f.Name)] = true
		}
	}
	for _, f := range exempt {
		delete(set.Supported, f)
		set.Source += ", less --exempt-features"
	}
	return set, nil
}
