package coverage

import (
	"regexp"
	"slices"
)

// Choice is a behaviour the API leaves to the implementation that the
// reference gateway can switch on (reference/faults.Choices): `xbcheck
// mutate --choices` runs the suite with it and fails on any spec that
// takes it for a bug.
type Choice struct {
	Name string
	// Sentence is the API text that leaves it open, "Where: text".
	Sentence string
}

// leftOpen matches the sentences that leave a behaviour to the
// implementation rather than require one: a choice, not a spec, answers
// them. A MUST sentence is never covered by a choice.
var leftOpen = regexp.MustCompile(`\b(MAY|may|OPTIONAL)\b|[Ii]mplementation-specific`)

// markChoices gives each sentence cell that leaves a behaviour open the
// choices whose sentence states it.
func markChoices(rows []Row, choices []Choice) {
	for i := range rows {
		if rows[i].Group != GroupSentence || !leftOpen.MatchString(rows[i].Source) {
			continue
		}
		for _, c := range choices {
			if quoteCovers(quoteOf(c.Sentence), rows[i].Source) && !slices.Contains(rows[i].Choices, c.Name) {
				rows[i].Choices = append(rows[i].Choices, c.Name)
			}
		}
	}
}
