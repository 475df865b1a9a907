package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterruptStopsEverything sends SIGINT to a run once its specs are
// running and checks that it exits 130 leaving no process it started (API
// server, etcd, sandbox child, workers) and no control-plane folder behind.
func TestInterruptStopsEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a control plane: skipped with -short")
	}
	self := asXBcheck(t)
	cmd := exec.Command(self, "run", "--report-output", "")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	lines := bufio.NewScanner(stdout)
	// The first progress line: the control plane, the fakes, the gateway
	// and the workers all run.
	for lines.Scan() && !progressLine.MatchString(lines.Text()) {
		out.WriteString(lines.Text() + "\n")
	}
	started := descendants(cmd.Process.Pid)
	folders := controlPlaneFolders(started)
	if len(folders) == 0 {
		t.Fatalf("no control-plane process found under the run (descendants %v):\n%s", started, out.String())
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
	}
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("exit code %d (%v), want %d after SIGINT:\n%s", code, err, exitInterrupted, out.String())
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range started {
		for running(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("process %d (%s) survived the interrupt", pid, cmdline(pid))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, f := range folders {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("control-plane folder %s left behind", f)
		}
	}
}

// descendants lists every process below pid, from the parent ids in /proc.
func descendants(pid int) []int {
	parents := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil {
			continue
		}
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) > 1 {
			if ppid, err := strconv.Atoi(fields[1]); err == nil {
				parents[ppid] = append(parents[ppid], child)
			}
		}
	}
	var out []int
	var walk func(int)
	walk = func(p int) {
		for _, c := range parents[p] {
			out = append(out, c)
			walk(c)
		}
	}
	walk(pid)
	return out
}

var progressLine = regexp.MustCompile(`^(PASS|FAIL|SKIP|N/S) `)

var controlPlaneFolder = regexp.MustCompile(`/[^ ]*k8s_test_framework_[0-9]+`)

// controlPlaneFolders are the temporary folders envtest gave its processes.
func controlPlaneFolders(pids []int) []string {
	seen := map[string]bool{}
	var out []string
	for _, pid := range pids {
		for _, f := range controlPlaneFolder.FindAllString(cmdline(pid), -1) {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.ReplaceAll(string(b), "\x00", " ")
}

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}
