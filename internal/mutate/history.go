package mutate

import (
	_ "embed"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"

	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/reference/faults"
)

// History is which specs killed each fault last time, kept in the user's
// cache: a mutant's run starts with them, so it usually stops in seconds.
// On a machine without one (a CI runner) it starts from the killers `make
// kill-matrix` recorded (killers.json). It orders specs, and says which
// faults only SHOULD specs kill, so those runs stop at their first kill
// rather than run every MUST spec in vain; the verdicts come from running
// them.
type History struct {
	path   string
	Killed map[faults.Fault]Killers
}

// Killers are the specs that killed a fault, by level.
type Killers struct {
	Must   []string `json:"must,omitempty"`
	Should []string `json:"should,omitempty"`
}

// killersOf sorts scenarios into Killers.
func killersOf(ss []verdict.Scenario) Killers {
	var k Killers
	for _, s := range ss {
		switch s.Level {
		case verdict.Must:
			k.Must = append(k.Must, s.ShortName)
		case verdict.Should:
			k.Should = append(k.Should, s.ShortName)
		}
	}
	return k
}

// seed is the killers `make kill-matrix` recorded (xbcheck mutate
// --killers).
//
//go:embed killers.json
var seed []byte

// LoadHistory reads the history of earlier mutation runs over the recorded
// killers; none is no error.
func LoadHistory() *History {
	h := &History{Killed: map[faults.Fault]Killers{}}
	_ = json.Unmarshal(seed, &h.Killed)
	dir, err := os.UserCacheDir()
	if err != nil {
		return h
	}
	h.path = filepath.Join(dir, "xbcheck", "killers.json")
	if data, err := os.ReadFile(h.path); err == nil {
		var mine map[faults.Fault]Killers
		if json.Unmarshal(data, &mine) == nil {
			maps.Copy(h.Killed, mine)
		}
	}
	return h
}

// first are the specs a mutant of f starts with: those that killed it
// last time, MUST specs first.
func (h *History) first(f faults.Info) []string {
	k := h.Killed[f.Name]
	return append(append([]string{}, k.Must...), k.Should...)
}

// shouldOnly says only SHOULD specs killed f last time: its run stops at
// its first kill.
func (h *History) shouldOnly(f faults.Info) bool {
	k := h.Killed[f.Name]
	return len(k.Must) == 0 && len(k.Should) > 0
}

// record keeps the killers of r's mutants for next time.
func (h *History) record(r Report) {
	if h.path == "" {
		return
	}
	for _, m := range r.Mutants {
		if m.Killed() {
			h.Killed[m.Fault.Name] = killersOf(m.Killers)
		}
	}
	if os.MkdirAll(filepath.Dir(h.path), 0o755) == nil {
		_ = writeKillers(h.path, h.Killed)
	}
}

// WriteKillers writes the specs that killed each mutant of r as JSON, in
// the form of killers.json.
func WriteKillers(path string, r Report) error {
	killed := map[faults.Fault]Killers{}
	for _, m := range r.Mutants {
		if m.Killed() {
			killed[m.Fault.Name] = killersOf(m.Killers)
		}
	}
	return writeKillers(path, killed)
}

func writeKillers(path string, killed map[faults.Fault]Killers) error {
	data, err := json.MarshalIndent(killed, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
