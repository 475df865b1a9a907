package roletest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// RoleEnv names the role a process plays; OutEnv the file it reports to.
const (
	RoleEnv = "XBCHECK_TEST_ROLE"
	OutEnv  = "XBCHECK_TEST_OUT"
)

// Main runs m's tests, or, in a process started in a role, that role's
// function, and exits with its code; a role not in roles exits 2.
func Main(m *testing.M, roles map[string]func() int) {
	role := Role()
	if role == "" {
		os.Exit(m.Run())
	}
	f, ok := roles[role]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown %s=%s\n", RoleEnv, role)
		os.Exit(2)
	}
	os.Exit(f())
}

// Role is the role this process plays; "" in the test process.
func Role() string { return os.Getenv(RoleEnv) }

// Command returns a command running this test binary, with no tests, in
// role, reporting to out; its output goes to the test's log.
func Command(role, out string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), RoleEnv+"="+role, OutEnv+"="+out)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd
}

// Report writes v as JSON to the file OutEnv names and returns the exit
// code of the role: 0, or 1 when it cannot (said on stderr).
func Report(v any) int {
	b, err := json.Marshal(v)
	if err == nil {
		err = os.WriteFile(os.Getenv(OutEnv), b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "reporting:", err)
		return 1
	}
	return 0
}

// Read decodes into v the report a role wrote to out, failing t when
// there is none.
func Read(t testing.TB, out string, v any) {
	t.Helper()
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("the re-executed test binary wrote no report: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding its report %q: %v", b, err)
	}
}

// Wait waits for cmd, started in a role, to end with code 0, failing t
// when it does not, or when it still runs after limit, a bound against a
// hang: it is then interrupted, as Ctrl-C would, and killed a minute later.
func Wait(t testing.TB, cmd *exec.Cmd, limit time.Duration) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the role %s failed: %v", roleOf(cmd), err)
		}
		return
	case <-time.After(limit):
	}
	_ = cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-done:
		t.Fatalf("the role %s still ran after %s, and was interrupted: %v", roleOf(cmd), limit, err)
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("the role %s still ran after %s, and a minute after Ctrl-C: killed", roleOf(cmd), limit)
	}
}

// roleOf is the role cmd plays, for messages.
func roleOf(cmd *exec.Cmd) string {
	role := "?"
	for _, kv := range cmd.Env {
		if v, ok := strings.CutPrefix(kv, RoleEnv+"="); ok {
			role = v
		}
	}
	return role
}
