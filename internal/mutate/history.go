package mutate

import (
	_ "embed"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"

	"github.com/xbcheck/xbcheck/reference/faults"
)

// History is which specs killed each fault last time, kept in the user's
// cache: a mutant's run starts with them, so it usually stops in seconds.
// On a machine without one (a CI runner) it starts from Seed, the killers
// `make kill-matrix` recorded. It orders specs only; the verdicts come
// from running them.
type History struct {
	path   string
	Killed map[faults.Fault][]string
}

// Seed is the killers of every fault as `make kill-matrix` last recorded
// them (xbcheck mutate --killers).
//
//go:embed killers.json
var seed []byte

// LoadHistory reads the history of earlier mutation runs over Seed; none
// is no error.
func LoadHistory() *History {
	h := &History{Killed: map[faults.Fault][]string{}}
	_ = json.Unmarshal(seed, &h.Killed)
	dir, err := os.UserCacheDir()
	if err != nil {
		return h
	}
	h.path = filepath.Join(dir, "xbcheck", "kills.json")
	if data, err := os.ReadFile(h.path); err == nil {
		var mine map[faults.Fault][]string
		if json.Unmarshal(data, &mine) == nil {
			maps.Copy(h.Killed, mine)
		}
	}
	return h
}

// WriteKillers writes the specs that killed each mutant of r as JSON, in
// the form of Seed.
func WriteKillers(path string, r Report) error {
	killed := map[faults.Fault][]string{}
	for _, m := range r.Mutants {
		if m.Killed() {
			killed[m.Fault.Name] = names(m.Killers)
		}
	}
	data, err := json.MarshalIndent(killed, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// first are the specs a mutant of f starts with: those that killed it
// last time.
func (h *History) first(f faults.Info) []string { return h.Killed[f.Name] }

// record keeps the killers of r's mutants for next time.
func (h *History) record(r Report) {
	if h.path == "" {
		return
	}
	for _, m := range r.Mutants {
		if m.Killed() {
			h.Killed[m.Fault.Name] = names(m.Killers)
		}
	}
	data, err := json.MarshalIndent(h.Killed, "", "  ")
	if err != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(h.path), 0o755) == nil {
		_ = os.WriteFile(h.path, data, 0o644)
	}
}
