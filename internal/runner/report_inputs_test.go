package runner

import (
	"context"
	"testing"

	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/crds"
	"github.com/xbcheck/xbcheck/suites"
)

func TestReportInputsTakeTheInstalledBundleVersion(t *testing.T) {
	features := suites.FeatureSet{Source: "--all-features"}
	in := reportInputs(context.Background(), &cluster.Cluster{}, &crds.Bundle{BundleVersion: "v1.6.3", Channel: "experimental"},
		"reference gateway (in-process)", "xbcheck-abcde", features)
	if in.GatewayAPIVersion != "v1.6.3" || in.GatewayAPIChannel != "experimental" {
		t.Errorf("gateway API %q %q, want the bundle's v1.6.3 experimental", in.GatewayAPIVersion, in.GatewayAPIChannel)
	}
	if in.Implementation != "reference gateway (in-process)" || in.GatewayClass != "xbcheck-abcde" || in.Features.Source != "--all-features" {
		t.Errorf("inputs %+v do not describe the run", in)
	}
}
