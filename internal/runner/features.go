package runner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/xbcheck/xbcheck/internal/verdict"
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
func parseFeatures(flag string, names []string) ([]verdict.Feature, error) {
	var out []verdict.Feature
	for _, n := range names {
		f := verdict.Feature(strings.TrimSpace(n))
		if _, ok := f.Lookup(); !ok {
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
func (o FeatureOptions) resolve(ctx context.Context, k client.Client, class string) (verdict.FeatureSet, error) {
	supported, _ := parseFeatures("--supported-features", o.Supported)
	exempt, _ := parseFeatures("--exempt-features", o.Exempt)
	set := verdict.FeatureSet{Supported: map[verdict.Feature]bool{}}
	switch {
	case o.All:
		set.Source = "--all-features"
		for _, f := range verdict.FeatureNames() {
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
			set.Supported[verdict.Feature(f.Name)] = true
		}
	}
	for _, f := range exempt {
		delete(set.Supported, f)
	}
	if len(exempt) > 0 {
		set.Source += ", less --exempt-features"
	}
	return set, nil
}

func featureList() string {
	var names []string
	for _, f := range verdict.FeatureNames() {
		names = append(names, string(f))
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
