package suites

import (
	"testing"

	"github.com/xbcheck/xbcheck/suites/harness"
)

func TestShortNamesAreUnique(t *testing.T) {
	if dup := harness.Duplicates(Families()); len(dup) > 0 {
		t.Fatalf("ShortNames declared twice: %v", dup)
	}
}

func TestEveryScenarioIsComplete(t *testing.T) {
	for _, f := range Families() {
		for _, sc := range f.Scenarios {
			if !sc.Level.Known() || sc.ShortName == "" || sc.Description == "" || sc.Run == nil {
				t.Errorf("%s: incomplete declaration %+v", f.Name, sc.Scenario)
			}
			if _, ok := sc.Feature.Lookup(); !ok {
				t.Errorf("%s: unknown feature %q", sc.ShortName, sc.Feature)
			}
			if sc.Source == "" {
				t.Errorf("%s: no API sentence says why it is %s", sc.ShortName, sc.Level)
			}
		}
	}
}
