package verdict

import (
	"fmt"
	"slices"
)

// Scenario is the identity of a spec: what reports call it, how strongly it
// is required and which feature it belongs to.
type Scenario struct {
	ShortName string  `json:"shortName"`
	Level     Level   `json:"level"`
	Feature   Feature `json:"feature"`
	// FailClosed says the requirement holds for every implementation,
	// whatever it claims: never plaintext or an unverified server when tls
	// asks for TLS, never a forbidden address, refuse what is not supported
	// instead of serving it wrong. Such a spec always runs and always counts.
	FailClosed bool `json:"failClosed,omitempty"`
}

// Scenario is the one constructor of a scenario's identity: the level
// states the requirement, e.g.
//
//	verdict.Must.Scenario("TLSRejectsWrongSAN", verdict.FeatureTLS, verdict.FailClosed)
func (l Level) Scenario(shortName string, f Feature, opts ...Option) Scenario {
	s := Scenario{ShortName: shortName, Level: l, Feature: f}
	for _, o := range opts {
		o(&s)
	}
	return s
}

// Option qualifies a scenario as it is made.
type Option func(*Scenario)

// FailClosed makes the requirement hold for every implementation, whatever
// it claims (Scenario.FailClosed).
func FailClosed(s *Scenario) { s.FailClosed = true }

// FailClosedLabel marks fail-closed specs among the labels.
const FailClosedLabel = "FailClosed"

// Labels are the labels that carry the identity, for label filters.
func (s Scenario) Labels() []string {
	labels := []string{s.ShortName, string(s.Level), string(s.Feature)}
	if s.FailClosed {
		labels = append(labels, FailClosedLabel)
	}
	return labels
}

// ScenarioFromLabels recovers a scenario from its labels.
func ScenarioFromLabels(labels []string) (Scenario, error) {
	var s Scenario
	for _, l := range labels {
		switch {
		case l == FailClosedLabel:
			s.FailClosed = true
		case Level(l).Known():
			s.Level = Level(l)
		case slices.Contains(FeatureNames(), Feature(l)):
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
