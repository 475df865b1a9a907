package dataplane

import (
	"context"
	"fmt"

	"github.com/xbcheck/xbcheck/reference/faults"
)

// ipv4Only is r, or with the ipv4-only fault r behind a filter that drops
// every IPv6 answer.
func ipv4Only(r Resolver, fs faults.Set) Resolver {
	if !fs.Has(faults.IPv4Only) {
		return r
	}
	return v4Resolver{r}
}

// v4Resolver keeps the IPv4 answers of its resolver only, as a lookup for
// A records alone would.
type v4Resolver struct{ next Resolver }

func (v v4Resolver) Resolve(ctx context.Context, host string) ([]Answer, error) {
	answers, err := v.next.Resolve(ctx, host)
	var out []Answer
	for _, a := range answers {
		if a.Addr.Is4() {
			out = append(out, a)
		}
	}
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("resolve %s: no A record (IPv6 answers are not used)", host)
	}
	return out, err
}
