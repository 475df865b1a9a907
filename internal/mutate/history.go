package mutate

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/xbcheck/xbcheck/reference/faults"
)

// History is which specs killed each fault last time, kept in the user's
// cache: a mutant's run starts with them, so it usually stops in seconds.
// It orders specs only; the verdicts come from running them.
type History struct {
	path   string
	Killed map[faults.Fault][]string
}

// LoadHistory reads the history of earlier mutation runs; none is no error.
func LoadHistory() *History {
	h := &History{Killed: map[faults.Fault][]string{}}
	dir, err := os.UserCacheDir()
	if err != nil {
		return h
	}
	h.path = filepath.Join(dir, "xbcheck", "kills.json")
	if data, err := os.ReadFile(h.path); err == nil {
		_ = json.Unmarshal(data, &h.Killed)
	}
	return h
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
