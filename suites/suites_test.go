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

func TestEveryTestIsComplete(t *testing.T) {
	for _, f := range Families() {
		for _, test := range f.Tests {
			if !test.Level.Known() || test.ShortName == "" || test.Description == "" || test.Run == nil {
				t.Errorf("%s: incomplete declaration %+v", f.Name, test.Scenario)
			}
			if _, ok := test.Feature.Lookup(); !ok {
				t.Errorf("%s: unknown feature %q", test.ShortName, test.Feature)
			}
			if test.Source == "" {
				t.Errorf("%s: no API sentence says why it is %s", test.ShortName, test.Level)
			}
		}
	}
}
