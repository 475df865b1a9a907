package suites

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
)

// Gating happens here, in one place: a spec whose feature the
// implementation does not support is skipped with that reason, never run
// and failed.
var _ = BeforeEach(func() {
	s, err := ScenarioFromLabels(CurrentSpecReport().Labels())
	if err != nil {
		Fail("harness error: " + err.Error())
	}
	if !config.Features.Supports(s.Feature) {
		Skip(fmt.Sprintf("feature %s is not supported (%s)", s.Feature, config.Features.Source))
	}
})

// FeatureSet says which features the implementation supports and where
// that came from.
type FeatureSet struct {
	// Supported features; nil means every feature.
	Supported map[Feature]bool
	// Source says where the set came from, for skip reasons.
	Source string
}

// Supports reports whether f is in the set.
func (fs FeatureSet) Supports(f Feature) bool {
	return fs.Supported == nil || fs.Supported[f]
}
