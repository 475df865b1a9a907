package runner

import (
	"context"
	"fmt"

	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/gateway-api/pkg/consts"

	"github.com/xbcheck/xbcheck/fixtures/manifest"
	"github.com/xbcheck/xbcheck/internal/cluster"
	"github.com/xbcheck/xbcheck/internal/crds"
)

// installedBundle describes the XBackend CRD an existing cluster serves:
// its release, channel and schema, since no bundle was installed by xbcheck.
func installedBundle(ctx context.Context, c *cluster.Cluster) (*crds.Bundle, error) {
	cs, err := apiextensionsclient.NewForConfig(c.Config)
	if err != nil {
		return nil, err
	}
	crd, err := cs.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crds.XBackendCRD, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("read the XBackend CRD of the cluster: %w", err)
	}
	schema, err := manifest.SchemaOf(crd)
	if err != nil {
		return nil, err
	}
	return &crds.Bundle{
		BundleVersion: crd.Annotations[consts.BundleVersionAnnotation],
		Channel:       crd.Annotations[consts.ChannelAnnotation],
		Schema:        schema,
	}, nil
}
