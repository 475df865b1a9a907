package coverage

import (
	"slices"
	"testing"
)

// A choice covers the sentence cells its sentence states that leave a
// behaviour open; a MUST sentence it states stays the specs' to cover.
func TestChoicesCoverOpenSentencesOnly(t *testing.T) {
	may := "Implementations MAY choose to perform further validation of the certificate content."
	must := "Connections using an invalid CACertificateRef MUST fail, and the client MUST receive an HTTP 5xx error response."
	rows := []Row{
		{Cell: Cell{ID: "a: " + may, Group: GroupSentence, Source: may}},
		{Cell: Cell{ID: "b: " + must, Group: GroupSentence, Source: must}},
		{Cell: Cell{ID: "c: " + may, Group: GroupXBackendField, Source: may}},
	}
	markChoices(rows, []Choice{
		{Name: "further-validation", Sentence: "Where: " + may},
		{Name: "refused-500", Sentence: "Where: " + must},
		{Name: "unrelated", Sentence: "Where: Implementations MAY do something else entirely."},
	})
	if !slices.Equal(rows[0].Choices, []string{"further-validation"}) || !rows[0].Covered() {
		t.Errorf("the MAY sentence got choices %v, want [further-validation]", rows[0].Choices)
	}
	if len(rows[1].Choices) != 0 || rows[1].Covered() {
		t.Errorf("the MUST sentence got choices %v, want none: a choice never covers a requirement", rows[1].Choices)
	}
	if len(rows[2].Choices) != 0 {
		t.Errorf("a field cell got choices %v, want none", rows[2].Choices)
	}
	if got := rows[0].verdict(); got != "choice further-validation (xbcheck mutate --choices)" {
		t.Errorf("verdict %q", got)
	}
}
