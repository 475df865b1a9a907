package dimension

import "testing"

// Every class is listed once, in a dimension, with what it is and the
// reference it comes from.
func TestClassesAreDescribed(t *testing.T) {
	seen := map[Class]bool{}
	for _, d := range All() {
		if seen[d.Class] {
			t.Errorf("class %s is listed twice", d.Class)
		}
		seen[d.Class] = true
		if d.Dimension == "" || d.Text == "" || d.Source == "" {
			t.Errorf("class %s lacks its dimension, text or source: %+v", d.Class, d)
		}
	}
}
