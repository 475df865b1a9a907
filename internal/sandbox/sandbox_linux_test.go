package sandbox

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/xbcheck/xbcheck/internal/roletest"
)

// sandboxed runs child inside a sandbox this test process builds, and returns
// its exit code. It skips the test where namespaces are refused.
func sandboxed(t *testing.T, child string) int {
	t.Helper()
	t.Setenv(roletest.RoleEnv, child)
	handled, code, err := Run(Options{Mode: ModeRequire})
	if errors.Is(err, ErrUnavailable) {
		t.Skipf("namespaces are refused on this machine: %v", err)
	}
	if err != nil || !handled {
		t.Fatalf("Run() = handled %v, code %d, err %v; want the child run", handled, code, err)
	}
	return code
}

// etcMounts lists this process's mounts under /etc.
func etcMounts(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], "/etc") {
			out = append(out, line)
		}
	}
	return out
}

func TestPlanInsideTheSandbox(t *testing.T) {
	resolvBefore, err := os.ReadFile(resolvConf)
	if err != nil {
		t.Fatal(err)
	}
	mountsBefore := etcMounts(t)
	out := filepath.Join(t.TempDir(), "plan.json")
	t.Setenv(roletest.OutEnv, out)
	if code := sandboxed(t, "plan"); code != 0 {
		t.Fatalf("the plan child exited %d", code)
	}
	var o planObservations
	roletest.Read(t, out, &o)

	if o.Inside != "" {
		t.Errorf("Inside() in the sandbox = %q, want nil", o.Inside)
	}
	if o.UID != 0 {
		t.Errorf("uid in the sandbox = %d, want 0 (this user mapped to root)", o.UID)
	}
	for _, p := range loopbackPrefixes() {
		if !slices.Contains(o.LoAddrs, p.String()) {
			t.Errorf("lo in the sandbox lacks %s; it has %v", p, o.LoAddrs)
		}
	}
	for _, a := range planAddrs() {
		if !o.Local[a.String()] {
			t.Errorf("the sandbox does not route %s locally", a)
		}
		if e := o.Guard[a.String()]; e != "" {
			t.Errorf("Guard(%s) in the sandbox = %q, want nil", a, e)
		}
	}
	if !strings.Contains(o.RouteOut, "unreachable") {
		t.Errorf("route from the sandbox to 198.51.100.1: error %q, want network unreachable", o.RouteOut)
	}
	for _, ap := range canaries() {
		if e := o.Reached[ap.String()]; e != "" {
			t.Errorf("a canary at %s was not reached from inside the sandbox: %s", ap, e)
		}
	}
	if o.ResolvConf != resolvConfText() || !strings.Contains(o.ResolvConf, "\nnameserver 127.0.0.53\n") {
		t.Errorf("/etc/resolv.conf in the sandbox = %q, want %q", o.ResolvConf, resolvConfText())
	}
	if o.Hosts != hostsText {
		t.Errorf("/etc/hosts in the sandbox = %q, want %q", o.Hosts, hostsText)
	}
	if o.Descendant != "" {
		t.Errorf("Inside() in a process started inside the sandbox = %q, want nil", o.Descendant)
	}

	resolvAfter, err := os.ReadFile(resolvConf)
	if err != nil {
		t.Fatal(err)
	}
	if string(resolvAfter) != string(resolvBefore) {
		t.Errorf("/etc/resolv.conf outside changed from %q to %q", resolvBefore, resolvAfter)
	}
	if after := etcMounts(t); !slices.Equal(after, mountsBefore) {
		t.Errorf("mounts under /etc outside changed from %q to %q", mountsBefore, after)
	}
}

// TestPlanIsNotLocalOutside looks at the routing table of this (outside)
// process without sending anything: none of the plan's addresses beyond
// loopback may be local here, so a canary inside can only be reached from
// inside.
func TestPlanIsNotLocalOutside(t *testing.T) {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := netlink.AddrList(lo, netlink.FAMILY_ALL)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range planAddrs() {
		if a.IsLoopback() {
			continue
		}
		if isLocal(a) {
			t.Errorf("%s is local outside the sandbox", a)
		}
		for _, la := range addrs {
			if la.IP.Equal(a.AsSlice()) {
				t.Errorf("%s is on lo outside the sandbox", a)
			}
		}
	}
}

func TestOutsideIsRefused(t *testing.T) {
	if err := Inside(); err == nil || !strings.Contains(err.Error(), markerEnv+" is unset") {
		t.Errorf("Inside() outside = %v, want an error naming %s", err, markerEnv)
	}
	err := Guard(MetadataV4)
	if err == nil || !strings.Contains(err.Error(), "refusing to use 169.254.169.254 outside the xbcheck sandbox") {
		t.Errorf("Guard(169.254.169.254) outside = %v, want a refusal", err)
	}
}

func TestForgedMarkerIsRefused(t *testing.T) {
	here, err := currentNS("net")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(markerEnv, marker{outsideNet: here, readyFD: readyFD}.String())
	t.Setenv(sandboxNetnsEnv, here.String())
	if err := Inside(); err == nil || !strings.Contains(err.Error(), "network namespace xbcheck started in") {
		t.Errorf("Inside() with a marker naming this namespace = %v, want a refusal", err)
	}

	// A marker naming another namespace still leaves this one's links and
	// routes to judge.
	if isolated(false) == nil {
		t.Skip("this test process's own network namespace has no way out either")
	}
	t.Setenv(markerEnv, marker{outsideNet: nsID{dev: here.dev, ino: here.ino + 1}, readyFD: readyFD}.String())
	if err := Inside(); err == nil || !strings.Contains(err.Error(), "only lo may be") && !strings.Contains(err.Error(), "route") {
		t.Errorf("Inside() in a namespace with a way out = %v, want a refusal naming the link or route", err)
	}
	if err := Guard(MetadataV4); err == nil {
		t.Error("Guard(169.254.169.254) with a forged marker = nil, want a refusal")
	}
}

func TestExitCodeOfTheChild(t *testing.T) {
	if code := sandboxed(t, "exit7"); code != 7 {
		t.Errorf("Run() exit code = %d, want the child's 7", code)
	}
}

func TestRunOffDoesNothing(t *testing.T) {
	t.Setenv(roletest.RoleEnv, "exit7")
	handled, code, err := Run(Options{Mode: ModeOff})
	if handled || code != 0 || err != nil {
		t.Errorf("Run(off) = %v, %d, %v; want false, 0, nil", handled, code, err)
	}
}

// parentProcess starts this test binary as a parent that runs child in a
// sandbox of its own, and waits for the child to say "ready" on stdout.
func parentProcess(t *testing.T, child string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), roletest.RoleEnv+"="+child)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	r := bufio.NewReader(stdout)
	if line, _ := r.ReadString('\n'); line != "ready\n" {
		_ = cmd.Wait()
		if strings.Contains(stderr.String(), ErrUnavailable.Error()) {
			t.Skipf("namespaces are refused on this machine: %s", stderr.String())
		}
		t.Fatalf("the sandboxed child did not get ready: stdout %q, stderr %q", line, stderr.String())
	}
	return cmd, r
}

func TestSIGTERMIsForwardedToTheChild(t *testing.T) {
	cmd, _ := parentProcess(t, "wait-signal")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitGotSIGTERM {
		t.Errorf("parent ended with %v, want exit code %d (the child got SIGTERM)", err, exitGotSIGTERM)
	}
}

func TestChildGetsSIGTERMWhenTheParentDies(t *testing.T) {
	cmd, stdout := parentProcess(t, "wait-signal")
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	// The child shares the parent's stdout; it ends when the child does.
	rest := make(chan string, 1)
	go func() { b, _ := io.ReadAll(stdout); rest <- string(b) }()
	select {
	case got := <-rest:
		if got != "terminated\n" {
			t.Errorf("the orphaned child wrote %q, want %q", got, "terminated\n")
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the orphaned child is still running")
	}
}

// A sandbox the kernel refuses, or whose setup fails, is ErrUnavailable
// with an error naming why.
func TestUnmadeSandboxIsUnavailable(t *testing.T) {
	for _, c := range []struct{ role, where, want string }{
		{"refused", "where user namespaces are forbidden", "refused new user, network and mount namespaces"},
		{"setup-failed", "whose child cannot mount over " + resolvConf, resolvConf},
	} {
		t.Run(c.role, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "nested.json")
			t.Setenv(roletest.OutEnv, out)
			if code := sandboxed(t, c.role); code != 0 {
				t.Fatalf("the child exited %d", code)
			}
			var r nestedResult
			roletest.Read(t, out, &r)
			if !r.Unavailable || !strings.Contains(r.Err, c.want) {
				t.Errorf("reexec() %s = %q (ErrUnavailable: %v), want ErrUnavailable naming %q", c.where, r.Err, r.Unavailable, c.want)
			}
		})
	}
}

// TestRootless drops to an unprivileged user and runs the plan child from
// there: the user namespace maps that user alone to root.
func TestRootless(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("already unprivileged: the other tests cover the rootless path")
	}
	const nobody = 65534
	bin := roletest.SharedCopy(t, "sandbox.test")
	out := filepath.Join(filepath.Dir(bin), "plan.json")
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), roletest.RoleEnv+"=plan", roletest.OutEnv+"="+out)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	got, err := cmd.CombinedOutput()
	if strings.Contains(string(got), ErrUnavailable.Error()) {
		t.Skipf("unprivileged user namespaces are refused on this machine: %s", got)
	}
	if err != nil {
		t.Fatalf("the rootless run failed: %v\n%s", err, got)
	}
	var o planObservations
	roletest.Read(t, out, &o)
	if o.Inside != "" || o.UID != 0 {
		t.Errorf("rootless sandbox: Inside() = %q, uid %d; want nil, 0", o.Inside, o.UID)
	}
	if e := o.Reached[canaries()[0].String()]; e != "" {
		t.Errorf("rootless sandbox: the metadata canary was not reached from inside: %s", e)
	}
	if o.ResolvConf != resolvConfText() {
		t.Errorf("rootless sandbox: /etc/resolv.conf = %q", o.ResolvConf)
	}
	var st syscall.Stat_t
	if err := syscall.Stat(out, &st); err != nil || st.Uid != nobody {
		t.Errorf("the report written as root inside the rootless sandbox is owned by uid %d (%v), want %d", st.Uid, err, nobody)
	}
}

// BenchmarkSandboxReady measures the time from re-executing to the child's
// report that the sandbox is set up (ready-ms), and the whole round trip of
// a child that exits at once (ns/op).
func BenchmarkSandboxReady(b *testing.B) {
	b.Setenv(roletest.RoleEnv, "ready")
	var ready time.Duration
	for b.Loop() {
		r, err := reexec()
		if errors.Is(err, ErrUnavailable) {
			b.Skipf("namespaces are refused on this machine: %v", err)
		}
		if err != nil || r.exitCode != 0 {
			b.Fatalf("reexec() = %+v, %v", r, err)
		}
		ready += r.ready
	}
	b.ReportMetric(float64(ready.Microseconds())/1000/float64(b.N), "ready-ms")
}

// BenchmarkGuardOutside is the cost of a refusal outside the sandbox.
func BenchmarkGuardOutside(b *testing.B) {
	for b.Loop() {
		if Guard(MetadataV4) == nil {
			b.Fatal("Guard allowed 169.254.169.254 outside the sandbox")
		}
	}
}
