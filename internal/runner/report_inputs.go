package runner

import (
	"context"

	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/gateway-api/pkg/consts"

	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/crds"
	"github.com/xbcheck/xbcheck/suites"
)

// ReportInputs is what reports need from a run besides the verdicts.
type ReportInputs struct {
	// GatewayAPIVersion and GatewayAPIChannel come from the installed
	// XBackend CRD's annotations; empty when they could not be read.
	GatewayAPIVersion string
	GatewayAPIChannel string
	// Implementation says what was tested, e.g. "reference gateway (in-process)".
	Implementation string
	// GatewayClass is the class every spec used.
	GatewayClass string
	// Features is the feature set specs ran for.
	Features suites.FeatureSet
}

// reportInputs gathers the report inputs of a run. On an existing cluster
// the CRD version is read from the cluster, since no bundle was installed.
func reportInputs(ctx context.Context, c *cluster.Cluster, bundle *crds.Bundle, implementation, class string, features suites.FeatureSet) ReportInputs {
	in := ReportInputs{
		GatewayAPIVersion: bundle.BundleVersion,
		GatewayAPIChannel: bundle.Channel,
		Implementation:    implementation,
		GatewayClass:      class,
		Features:          features,
	}
	if in.GatewayAPIVersion != "" || c.Config == nil {
		return in
	}
	cs, err := apiextensionsclient.NewForConfig(c.Config)
	if err != nil {
		return in
	}
	// The run already checked this CRD exists; a failed read leaves the
	// version empty and the report says so.
	crd, err := cs.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crds.XBackendCRD, metav1.GetOptions{})
	if err == nil {
		in.GatewayAPIVersion = crd.Annotations[consts.BundleVersionAnnotation]
		in.GatewayAPIChannel = crd.Annotations[consts.ChannelAnnotation]
	}
	return in
}
