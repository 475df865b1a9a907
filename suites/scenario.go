package suites

import (
	"fmt"
	"slices"

	. "github.com/onsi/ginkgo/v2"
)

// Level is how strongly the API demands a behaviour.
type Level string

const (
	// Must: the CRD, the API types or GEP-4894 require it; a failure fails the run.
	Must Level = "MUST"
	// Should: recommended; a failure is a warning.
	Should Level = "SHOULD"
	// Observe: a measurement with no verdict.
	Observe Level = "OBSERVE"
)

// Levels lists the levels from strongest to weakest.
var Levels = []Level{Must, Should, Observe}

// Feature names follow GEP-4894 and extend it as ResourceBackend<Thing>.
type Feature string

const (
	// FeatureResourceBackend is XBackend support as such: routes to it and
	// status on it.
	FeatureResourceBackend Feature = "ResourceBackend"
	// FeatureExternalHostname is the ExternalHostname backend type.
	FeatureExternalHostname Feature = "ResourceBackendExternalHostname"
	// FeatureTLS is tls.mode ServerOnly with validation.
	FeatureTLS Feature = "ResourceBackendTLS"
	// FeatureMutualTLS is tls.mode ClientAndServer.
	FeatureMutualTLS Feature = "ResourceBackendMutualTLS"
	// FeatureProtocol is the protocol field: HTTP, HTTP11, HTTP2, H2C.
	FeatureProtocol Feature = "ResourceBackendProtocol"
	// FeatureDNSRebindingProtection is refusing forbidden addresses whatever
	// DNS answers.
	FeatureDNSRebindingProtection Feature = "ResourceBackendDNSRebindingProtection"
)

// Features lists every feature a spec may carry.
var Features = []Feature{FeatureResourceBackend, FeatureExternalHostname, FeatureTLS, FeatureMutualTLS, FeatureProtocol, FeatureDNSRebindingProtection}

// Scenario declares a spec: what it is called in reports, how strongly it
// is required and which feature it belongs to.
type Scenario struct {
	ShortName string
	Level     Level
	Feature   Feature
}

// Labels returns the Ginkgo labels that carry the declaration.
func (s Scenario) Labels() Labels {
	return Label(s.ShortName, string(s.Level), string(s.Feature))
}

// ScenarioFromLabels recovers a declaration from a spec's labels.
func ScenarioFromLabels(labels []string) (Scenario, error) {
	var s Scenario
	for _, l := range labels {
		switch {
		case slices.Contains(Levels, Level(l)):
			s.Level = Level(l)
		case slices.Contains(Features, Feature(l)):
			s.Feature = Feature(l)
		default:
			s.ShortName = l
		}
	}
	if s.ShortName == "" || s.Level == "" || s.Feature == "" {
		return s, fmt.Errorf("spec labels %q lack a ShortName, level or feature", labels)
	}
	return s, nil
}
