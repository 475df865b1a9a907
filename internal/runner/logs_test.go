package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestComponentLogsWaitForTheReportFolder: the components log from the
// start of a run, before the report folder exists (a provider may install
// CRDs with controller-runtime then); those lines are dropped, what
// follows lands in the folder's log, and nothing is written to it once
// the run has closed it.
func TestComponentLogsWaitForTheReportFolder(t *testing.T) {
	later := InstallComponentLogs()
	log := later.gateway
	log.Info("before the report folder")
	dir := t.TempDir()
	w, closeLogs, err := openLogs(dir, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	later.set(w)
	log.Info("in the report folder")
	later.set(nil)
	closeLogs()
	log.Info("after the run")
	b, err := os.ReadFile(filepath.Join(dir, LogFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); !strings.Contains(got, "in the report folder") || strings.Contains(got, "before") || strings.Contains(got, "after") {
		t.Errorf("%s holds:\n%s\nwant only the line logged while the folder was set", LogFile, got)
	}
}
