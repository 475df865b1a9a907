package admission

import (
	"context"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites/apitext"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// routeLimitScenarios check, from both sides, the limits of the HTTPRoute
// fields that refer to an XBackend: a backendRef, and the mirror and
// external authorization of a rule and of a backendRef.
func routeLimitScenarios() []harness.Scenario {
	const ref = "spec.rules[0].backendRefs"
	fb := verdict.FeatureResourceBackend
	refused := []Cause{
		At(ref+"[0].name", "may not be more than 253"), At(ref+"[1].namespace", "may not be more than 63"),
		At(ref+"[2].weight", "should be less than or equal to 1000000"), At(ref+"[3].weight", "should be greater than or equal to 0"),
		At(ref+"[4].name", "should be at least 1 chars long"), At(ref+"[5].namespace", "should match"),
		At(ref+"[6].namespace", "should be at least 1 chars long"), At(ref+"[7].name", "Required value"),
		At(ref+"[8].port", "should be greater than or equal to 1"), At(ref+"[9].port", "should be less than or equal to 65535"),
		At("spec.rules[0].filters[0].requestMirror.backendRef.name", "may not be more than 253"),
	}
	noPort := "Must not have port for Backend reference"
	return []harness.Scenario{
		admitsField("AdmissionAdmitsRouteRefsToXBackendAtLimits", "route-limits-max.yaml", apitext.Weight, harness.Releases{},
			[]string{"spec", "rules", "0", "backendRefs", "1", "weight"}, int64(0)),
		admitsField("AdmissionAdmitsBackendRefPortsToXBackend", "route-limits-ports.yaml", apitext.BackendPort, harness.BackendRefPortAllowed,
			[]string{"spec", "rules", "0", "backendRefs", "1", "port"}, int64(65535)),
		admitsField("AdmissionAdmitsFilterRefPortsToXBackend", "route-limits-filter-ports.yaml", apitext.BackendPort, harness.BackendRefPortAllowed,
			[]string{"spec", "rules", "0", "filters", "0", "requestMirror", "backendRef", "port"}, int64(443)),
		Refuses("AdmissionRejectsRouteRefsToXBackendPastLimits", "route-limits-refused.yaml", fb, apitext.CRDRouteBounds, harness.Releases{}, refused...),
		Refuses("Admission170RejectsFilterRefPortsToXBackend", "route-limits-filter-ports.yaml", fb, apitext.CRDBackendRefPort, harness.V170,
			At("spec.rules[0].filters[0].requestMirror.backendRef", noPort), At("spec.rules[0].filters[1].externalAuth.backendRef", noPort),
			At(ref+"[0].filters[0].requestMirror.backendRef", noPort), At(ref+"[0].filters[1].externalAuth.backendRef", noPort)),
		Refuses("Admission170RejectsBackendRefPortsAtLimits", "route-limits-ports.yaml", fb, apitext.CRDBackendRefPort, harness.V170,
			At(ref+"[0]", noPort), At(ref+"[1]", noPort)),
	}
}

// admitsField declares a MUST spec: the API server admits the first
// object of file and stores the field at path as written.
func admitsField(shortName, file string, source apitext.Sentence, releases harness.Releases, path []string, want any) harness.Scenario {
	return harness.Scenario{
		Scenario:    verdict.Must.Scenario(shortName, verdict.FeatureResourceBackend),
		Description: "admits what the CRD allows: " + file,
		Source:      source,
		Releases:    releases,
		Run: func(ctx context.Context, s *harness.T) {
			obj := firstObject(s, file)
			s.Create(ctx, obj)
			By("reading back " + strings.Join(path, "."))
			got := &unstructured.Unstructured{}
			got.SetGroupVersionKind(obj.GroupVersionKind())
			Expect(s.Client().Get(ctx, client.ObjectKeyFromObject(obj), got)).To(Succeed())
			Expect(field(got.Object, path)).To(Equal(want), "%s of %s does not read back as written", strings.Join(path, "."), file)
		},
	}
}

// field reads a path of map keys and list indexes.
func field(v any, path []string) any {
	for _, p := range path {
		switch c := v.(type) {
		case map[string]any:
			v = c[p]
		case []any:
			var i int
			if _, err := fmt.Sscan(p, &i); err != nil || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}
