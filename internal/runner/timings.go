package runner

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"

	"github.com/xbcheck/xbcheck/internal/verdict"
)

// specTimes are how long each spec took when it last ran, kept in the
// user's cache so the next run starts the slowest specs first; first are
// specs to start before all others whatever their time (mutation testing
// starts a mutant with the specs most likely to kill it).
type specTimes struct {
	path    string
	seconds map[string]float64
	first   []string
}

// loadSpecTimes reads the times of earlier runs; none is no error.
func loadSpecTimes() specTimes {
	t := specTimes{seconds: map[string]float64{}}
	dir, err := os.UserCacheDir()
	if err != nil {
		return t
	}
	t.path = filepath.Join(dir, "xbcheck", "spec-times.json")
	if data, err := os.ReadFile(t.path); err == nil {
		_ = json.Unmarshal(data, &t.seconds)
	}
	return t
}

// priority orders specs by their expected time, longest first. A spec never
// timed is expected to take as long as a "never" window if it is
// fail-closed (those watch one), else a second.
func (t specTimes) priority(s verdict.Scenario) int {
	if i := slices.Index(t.first, s.ShortName); i >= 0 {
		return firstPriority - i
	}
	secs, ok := t.seconds[s.ShortName]
	if !ok {
		secs = 1
		if s.FailClosed {
			secs = 6
		}
	}
	return int(secs * 1000)
}

// firstPriority is above any spec's time in milliseconds (a day).
const firstPriority = 24 * 3600 * 1000

// record keeps the times of the specs that ran, for the next run.
func (t specTimes) record(results []verdict.Result) {
	if t.path == "" {
		return
	}
	for _, r := range results {
		if r.Outcome == verdict.Passed || r.Outcome == verdict.Failed || r.Outcome == verdict.NotSupported {
			t.seconds[r.ShortName] = r.RunTime.Seconds()
		}
	}
	data, err := json.MarshalIndent(t.seconds, "", "  ")
	if err != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(t.path), 0o755) == nil {
		_ = os.WriteFile(t.path, data, 0o644)
	}
}
