package harness

import (
	"regexp"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/xbcheck/xbcheck/fakes/upstream"
)

var pointer = regexp.MustCompile(`0x[0-9a-f]+`)

// failure returns the message Gomega gives when f's assertion fails.
func failure(f func(g Gomega)) string {
	var msg string
	g := NewGomega(func(m string, _ ...int) { msg = m })
	f(g)
	return msg
}

func TestPresenceMessagesShowNoPointers(t *testing.T) {
	var missing *metav1.Condition
	there := &upstream.Observation{Role: "upstream"}
	for name, f := range map[string]func(Gomega){
		"missing condition": func(g Gomega) { g.Expect(missing).To(Present("a ResolvedRefs condition"), "route r has none") },
		"unexpected answer": func(g Gomega) { g.Expect(there).To(Absent("upstream's answer"), "reached it") },
	} {
		msg := failure(f)
		if msg == "" || pointer.MatchString(msg) {
			t.Errorf("%s: message %q is empty or shows a pointer", name, msg)
		}
		if !strings.Contains(msg, "route r has none") && !strings.Contains(msg, "reached it") {
			t.Errorf("%s: message %q lacks the spec's own words", name, msg)
		}
	}
	if failure(func(g Gomega) { g.Expect(there).To(Present("x")) }) != "" || failure(func(g Gomega) { g.Expect(missing).To(Absent("x")) }) != "" {
		t.Error("Present and Absent fail on what they should accept")
	}
}
