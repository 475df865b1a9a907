package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/xbcheck/xbcheck/internal/roletest"
)

// A node refused (not root, root of a user namespace) is bad input: exit
// 2, one line saying what is missing and what to do, nothing left behind.
func TestClusterUpRefusesWithoutRealRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the refusals are tested from root, which can drop to an unprivileged user or a user namespace")
	}
	const nobody = 65534
	bin := roletest.SharedCopy(t, "xbcheck")
	dir := filepath.Dir(bin)
	for name, tc := range map[string]struct {
		attr *syscall.SysProcAttr
		want string
	}{
		"unprivileged user": {&syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}, "needs real root; run xbcheck as root"},
		"root of a user namespace": {&syscall.SysProcAttr{
			Cloneflags:  syscall.CLONE_NEWUSER,
			UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}},
			GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 0, Size: 1}},
		}, "root of a user namespace"},
	} {
		t.Run(name, func(t *testing.T) {
			before, _ := filepath.Glob(filepath.Join(os.TempDir(), "xbcheck-node-*"))
			cmd := exec.Command(bin, "cluster", "up")
			cmd.Env = append(os.Environ(), roletest.RoleEnv+"="+xbcheckRole, "HOME="+dir, "XDG_CACHE_HOME="+dir)
			cmd.SysProcAttr = tc.attr
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != exitUsage {
				t.Fatalf("cluster up ended with %v, want exit %d:\n%s", err, exitUsage, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("cluster up said %q, want one line containing %q", out, tc.want)
			}
			after, _ := filepath.Glob(filepath.Join(os.TempDir(), "xbcheck-node-*"))
			if len(after) > len(before) {
				t.Fatalf("a refused cluster up left %v", after)
			}
		})
	}
}

func TestSetupRefusesUnknownProvider(t *testing.T) {
	_, err := execute("setup", "--provider", "kind")
	if err == nil || !strings.Contains(err.Error(), "not one of envtest, node") {
		t.Fatalf("setup --provider kind = %v, want a usage error naming the providers", err)
	}
}
