package dataplane

import (
	"context"
	"net/netip"
	"testing"

	"github.com/xbcheck/xbcheck/reference/faults"
)

type fixedAnswers []Answer

func (a fixedAnswers) Resolve(context.Context, string) ([]Answer, error) { return a, nil }

// The ipv4-only fault keeps the A answers and drops the AAAA ones; a name
// with AAAA answers only then has no address. Without it nothing changes.
func TestIPv4OnlyDropsIPv6Answers(t *testing.T) {
	v4, v6 := Answer{Addr: netip.MustParseAddr("203.0.113.7")}, Answer{Addr: netip.MustParseAddr("2001:db8::113")}
	ctx := context.Background()
	got, err := ipv4Only(fixedAnswers{v4, v6}, faults.Set{faults.IPv4Only: true}).Resolve(ctx, "a.xbcheck.test")
	if err != nil || len(got) != 1 || got[0] != v4 {
		t.Errorf("mixed answers: got %v, %v; want the A answer alone", got, err)
	}
	if got, err := ipv4Only(fixedAnswers{v6}, faults.Set{faults.IPv4Only: true}).Resolve(ctx, "a.xbcheck.test"); err == nil {
		t.Errorf("AAAA answers only: got %v and no error", got)
	}
	if got, err := ipv4Only(fixedAnswers{v6}, faults.Set{}).Resolve(ctx, "a.xbcheck.test"); err != nil || len(got) != 1 {
		t.Errorf("without the fault: got %v, %v; want the AAAA answer", got, err)
	}
}
