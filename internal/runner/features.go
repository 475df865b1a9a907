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

// FeatureOptions say what the implementation claims: --all-features, or
// --supported-features; with neither, the GatewayClass's
// status.supportedFeatures. Every spec runs whatever is claimed; a failure
// of an extended feature not claimed is reported as not supported
// (verdict.Judge). --exempt-features skips the specs of extended features,
// never core or fail-closed ones.
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

// validate rejects unknown feature names, and exempting a core feature,
// before anything starts.
func (o FeatureOptions) validate() error {
	if _, err := parseFeatures("--supported-features", o.Supported); err != nil {
		return err
	}
	exempt, err := parseFeatures("--exempt-features", o.Exempt)
	if err != nil {
		return err
	}
	for _, f := range exempt {
		if f.Core() {
			return usagef("--exempt-features: %s is a core feature: its scenarios always run; exempt only extended features", f)
		}
	}
	return nil
}

// resolve computes the feature set, reading the GatewayClass when the
// options name no features.
func (o FeatureOptions) resolve(ctx context.Context, k client.Client, class string) (verdict.FeatureSet, error) {
	supported, _ := parseFeatures("--supported-features", o.Supported)
	exempt, _ := parseFeatures("--exempt-features", o.Exempt)
	set := verdict.FeatureSet{Claimed: map[verdict.Feature]bool{}, Exempt: map[verdict.Feature]bool{}}
	switch {
	case o.All:
		set.Source, set.Claimed = "--all-features", nil
	case len(supported) > 0:
		set.Source = "--supported-features"
		for _, f := range supported {
			set.Claimed[f] = true
		}
	default:
		var gc gatewayv1.GatewayClass
		if err := k.Get(ctx, client.ObjectKey{Name: class}, &gc); err != nil {
			return set, fmt.Errorf("read GatewayClass %s for its supported features: %w", class, err)
		}
		set.Source = "GatewayClass " + class + " status.supportedFeatures"
		for _, f := range gc.Status.SupportedFeatures {
			set.Claimed[verdict.Feature(f.Name)] = true
		}
	}
	for _, f := range exempt {
		set.Exempt[f] = true
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

// FeatureNames lists the feature names by who defines them, for help texts.
func FeatureNames() string {
	byOrigin := map[verdict.Origin][]string{}
	var origins []verdict.Origin
	for _, f := range verdict.Features() {
		if byOrigin[f.Origin] == nil {
			origins = append(origins, f.Origin)
		}
		name := string(f.Name)
		if f.Core {
			name += " (core)"
		}
		byOrigin[f.Origin] = append(byOrigin[f.Origin], name)
	}
	var parts []string
	for _, o := range origins {
		parts = append(parts, strings.Join(byOrigin[o], ", ")+" from "+string(o))
	}
	return strings.Join(parts, "; ")
}
