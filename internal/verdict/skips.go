package verdict

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
)

// NotRun is the scenarios of a run that gave no verdict for one reason.
type NotRun struct {
	// Reason is what the scenarios' messages share: see SkipReason.
	Reason string
	// ShortNames are the scenarios, in run order.
	ShortNames []string
}

// NotSupportedReason groups the failures of extended features the
// implementation does not claim, which the closing line counts as skipped.
const NotSupportedReason = "failed, in a feature the implementation does not claim (not supported, listed above)"

// NotRun groups the scenarios the closing line counts as skipped (skipped,
// and not supported) by reason, largest group first, groups of one size in
// the order their first scenario ran.
func (run Run) NotRun() []NotRun {
	var groups []NotRun
	at := map[string]int{}
	for _, r := range run.Results {
		var reason string
		switch r.Outcome {
		case Skipped:
			reason = SkipReason(r.Reason())
		case NotSupported:
			reason = NotSupportedReason
		default:
			continue
		}
		i, ok := at[reason]
		if !ok {
			i = len(groups)
			at[reason] = i
			groups = append(groups, NotRun{Reason: reason})
		}
		groups[i].ShortNames = append(groups[i].ShortNames, r.ShortName)
	}
	slices.SortStableFunc(groups, func(a, b NotRun) int { return cmp.Compare(len(b.ShortNames), len(a.ShortNames)) })
	return groups
}

// SkipReason is the part of a skip's reason that scenarios skipped for the
// same cause share: its first clause (up to a colon, a semicolon or an
// opening parenthesis, where the details begin), with the addresses, which
// vary from scenario to scenario and run to run, written <address>.
func SkipReason(reason string) string {
	reason = address.ReplaceAllString(reason, "<address>")
	if i := strings.IndexAny(reason, ":;("); i > 0 {
		reason = reason[:i]
	}
	return strings.TrimSpace(reason)
}

// address matches an IP address, with a prefix length or port if it has
// one: IPv4 dotted quads, IPv6 forms with a double colon or several
// groups, and IPv6 in brackets with a port. It runs before the cut at the
// first colon, so an IPv6 address does not end the clause.
var address = regexp.MustCompile(`\[` + ipv6 + `\](?::\d{1,5})?|` + ipv6 + `(?:/\d{1,3})?|\b` + ipv4 + `(?:/\d{1,2}|:\d{1,5})?\b`)

const (
	ipv4 = `\d{1,3}(?:\.\d{1,3}){3}`
	ipv6 = `(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|` + ipv4 + `)?`
)
