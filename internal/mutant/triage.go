package mutant

import (
	_ "embed"
	"fmt"

	"sigs.k8s.io/yaml"
)

// Verdicts of the triage file.
const (
	// Equivalent: no request, DNS query, connection or status can tell
	// the mutant from the original.
	Equivalent = "equivalent"
	// Killed: a new or sharper spec, named in By, kills it.
	Killed = "killed"
)

// Triaged is the triage of one mutant that survived the suite.
type Triaged struct {
	ID      string `json:"id"`
	Verdict string `json:"verdict"`
	// Why says, for an equivalent mutant, why nothing observable differs.
	Why string `json:"why,omitempty"`
	// By names, for a killed one, the spec written or sharpened to kill it.
	By string `json:"by,omitempty"`
}

// Triage is the checked-in triage of the surviving mutants, by ID.
type Triage map[string]Triaged

//go:embed triage.yaml
var triageFile []byte

// LoadTriage reads the checked-in triage (triage.yaml).
func LoadTriage() (Triage, error) { return ParseTriage(triageFile) }

// ParseTriage reads a triage file: a list of entries with id, verdict
// (equivalent or killed) and why (for equivalent) or by (for killed).
func ParseTriage(data []byte) (Triage, error) {
	var entries []Triaged
	if err := yaml.UnmarshalStrict(data, &entries); err != nil {
		return nil, fmt.Errorf("triage file: %w", err)
	}
	t := Triage{}
	for i, e := range entries {
		switch {
		case e.ID == "":
			return nil, fmt.Errorf("triage file: entry %d has no id", i+1)
		case e.Verdict == Equivalent && e.Why == "":
			return nil, fmt.Errorf("triage file: %s is equivalent but says not why (why: what no request, DNS query, connection or status can tell)", e.ID)
		case e.Verdict == Killed && e.By == "":
			return nil, fmt.Errorf("triage file: %s is killed but names no scenario (by: the scenario that kills it)", e.ID)
		case e.Verdict != Equivalent && e.Verdict != Killed:
			return nil, fmt.Errorf("triage file: %s has verdict %q; give equivalent or killed", e.ID, e.Verdict)
		}
		if _, dup := t[e.ID]; dup {
			return nil, fmt.Errorf("triage file: %s is triaged twice", e.ID)
		}
		t[e.ID] = e
	}
	return t, nil
}

// Equivalent says the triage holds id equivalent.
func (t Triage) Equivalent(id string) bool { return t[id].Verdict == Equivalent }
