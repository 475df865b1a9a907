package report

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/xbcheck/xbcheck/internal/verdict"
)

// WriteText prints a run's verdicts by feature and level, the OBSERVE
// measurements, and any harness error: what `xbcheck run` shows before its
// closing line.
func WriteText(w io.Writer, r Run) {
	type key struct {
		f verdict.Feature
		l verdict.Level
	}
	counts := map[key]map[verdict.Outcome]int{}
	for _, res := range r.Results {
		k := key{res.Feature, res.Level}
		if counts[k] == nil {
			counts[k] = map[verdict.Outcome]int{}
		}
		counts[k][res.Outcome]++
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nFEATURE\tNAMED BY\tLEVEL\tPASSED\tFAILED\tNOT SUPPORTED\tSKIPPED")
	for _, f := range verdict.Features() {
		named := string(f.Origin)
		if !r.supports(f.Name) {
			named += ", not claimed"
		}
		for _, l := range verdict.Levels() {
			if c := counts[key{f.Name, l}]; c != nil {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\n", f.Name, named, l, c[verdict.Passed], c[verdict.Failed], c[verdict.NotSupported], c[verdict.Skipped])
			}
		}
	}
	tw.Flush()
	printed := false
	for _, res := range r.Results {
		for _, m := range res.Measurements {
			if !printed {
				fmt.Fprintln(w, "\nOBSERVE measurements:")
				printed = true
			}
			fmt.Fprintf(w, "  %s: %s\n", res.ShortName, m)
		}
	}
	for _, e := range r.HarnessErrors {
		fmt.Fprintln(w, "harness error: "+e)
	}
	if why := r.Vacuous(); why != "" {
		fmt.Fprintln(w, "FAIL: "+why)
	}
}
