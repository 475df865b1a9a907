package roletest

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	Main(m, map[string]func() int{
		"echo": func() int { return Report(map[string]string{"role": Role()}) },
		"exit": func() int { return 7 },
	})
}

// A role runs its function in a process of its own, reports back, and
// ends with its code; an unknown role is refused.
func TestRoles(t *testing.T) {
	out := filepath.Join(t.TempDir(), "report.json")
	cmd := Command("echo", out)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	Wait(t, cmd, time.Minute)
	var r map[string]string
	Read(t, out, &r)
	if r["role"] != "echo" || Role() != "" {
		t.Errorf("the child reported %v, this process plays %q: want echo, and none here", r, Role())
	}
	for role, want := range map[string]int{"exit": 7, "nope": 2} {
		err := Command(role, os.DevNull).Run()
		if code := exitCode(err); code != want {
			t.Errorf("role %s exited %d (%v), want %d", role, code, err, want)
		}
	}
}

func exitCode(err error) int {
	if e, ok := err.(interface{ ExitCode() int }); ok {
		return e.ExitCode()
	}
	return -1
}
