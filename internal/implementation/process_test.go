package implementation

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEnvironmentAndLog(t *testing.T) {
	log := filepath.Join(t.TempDir(), "impl.log")
	p, err := Start(Options{Command: `echo "kubeconfig=$KUBECONFIG"; exit 3`, Env: map[string]string{EnvKubeconfig: "/x/kubeconfig"}, LogPath: log})
	if err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	if got := p.Tail(5); got != "kubeconfig=/x/kubeconfig" {
		t.Fatalf("log tail %q", got)
	}
	if err := p.ExitError(); !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "kubeconfig=/x/kubeconfig") {
		t.Fatalf("early exit error must carry the status and the last lines: %v", err)
	}
	p.Stop()
}

// A process that ignores SIGTERM is killed after the grace period, with
// every process of its group.
func TestStopKillsTheGroupAfterGrace(t *testing.T) {
	log := filepath.Join(t.TempDir(), "impl.log")
	p, err := Start(Options{Command: `trap "" TERM; sleep 300 & echo child $!; wait`, LogPath: log, Grace: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var child int
	deadline := time.Now().Add(10 * time.Second)
	for child == 0 && time.Now().Before(deadline) {
		var pid int
		if _, err := fmt.Sscanf(p.Tail(1), "child %d", &pid); err == nil {
			child = pid
		}
	}
	if child == 0 {
		t.Fatal("the command never reported its child")
	}
	p.Stop()
	select {
	case <-p.Exited():
	default:
		t.Fatal("Stop returned before the process ended")
	}
	// Killed, it may linger as a zombie until init reaps it: that is gone.
	for deadline := time.Now().Add(5 * time.Second); alive(child); {
		if time.Now().After(deadline) {
			t.Fatalf("child %d of the implementation survived Stop", child)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEmptyCommandIsBadInput(t *testing.T) {
	if _, err := Start(Options{Command: "  ", LogPath: filepath.Join(t.TempDir(), "l")}); err == nil || !strings.Contains(err.Error(), "--implementation-cmd is empty") {
		t.Fatalf("got %v", err)
	}
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}
