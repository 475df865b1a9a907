package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/xbcheck/xbcheck/internal/roletest"
)

// The test binary plays every role (internal/roletest): the test process,
// a parent process (started by a test), and the sandboxed child, which
// runs the role's function inside the sandbox and reports what it
// observed to a file outside, the filesystem being shared.
const (
	// testPrivateEnv lists the private folders of a node sandbox.
	testPrivateEnv = "XBCHECK_SANDBOX_TEST_PRIVATE"
)

// exitGotSIGTERM is how the wait-signal child ends when SIGTERM reaches it.
const exitGotSIGTERM = 42

func TestMain(m *testing.M) {
	roletest.Main(m, map[string]func() int{
		"ready":        inSandbox(func() int { return 0 }),
		"exit7":        inSandbox(func() int { return 7 }),
		"plan":         inSandbox(observePlan),
		"wait-signal":  inSandbox(waitSignal),
		"report":       inSandbox(reportInside),
		"refused":      inSandbox(reexecRefused),
		"setup-failed": inSandbox(reexecSetupFailed),
		"node-observe": inSandbox(observeNode),
	})
}

// inSandbox runs child inside the sandbox: a parent re-executes (handled);
// the sandboxed child and processes it starts carry on into child. A
// role named node-* gets a node sandbox.
func inSandbox(child func() int) func() int {
	return func() int {
		opts := Options{Mode: ModeRequire}
		if strings.HasPrefix(roletest.Role(), "node-") {
			opts.Node = &NodeOptions{PrivateDirs: filepath.SplitList(os.Getenv(testPrivateEnv))}
		}
		handled, code, err := Run(opts)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		if handled {
			return code
		}
		return child()
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// planObservations is what the plan child saw inside the sandbox.
type planObservations struct {
	UID        int
	Inside     string
	LoAddrs    []string          // prefixes on lo
	Local      map[string]bool   // address -> the route to it is local
	RouteOut   string            // the error for a route to outside the plan
	Guard      map[string]string // address -> Guard's error, "" when allowed
	Reached    map[string]string // address:port -> "" when a listener there answered a client
	ResolvConf string
	Hosts      string
	Descendant string // Inside() of a process started inside, "" when inside
}

// descendantReport is what a process started inside the sandbox saw.
type descendantReport struct{ Inside, Netns string }

func reportInside() int {
	netns, err := currentNS("net")
	if err != nil {
		return roletest.Report(descendantReport{Inside: err.Error()})
	}
	return roletest.Report(descendantReport{Inside: errText(Inside()), Netns: netns.String()})
}

// planAddrs is every address of the plan, and one of the simulated internet.
func planAddrs() []netip.Addr {
	return append([]netip.Addr{Harness, DNS, MetadataV4, MetadataV6, PodCanary, netip.MustParseAddr("203.0.113.77")},
		GatewayPool.Addrs()...)
}

// canaries are the listeners the plan child puts up and connects to.
func canaries() []netip.AddrPort {
	return []netip.AddrPort{
		netip.AddrPortFrom(MetadataV4, 80),
		netip.AddrPortFrom(MetadataV6, 80),
		netip.AddrPortFrom(PodCanary, 80),
		netip.AddrPortFrom(GatewayPool.First, 443),
		netip.AddrPortFrom(GatewayPool.Last, 443),
		netip.AddrPortFrom(netip.MustParseAddr("203.0.113.77"), 443),
		netip.AddrPortFrom(DNS, 53),
	}
}

func observePlan() int {
	o := planObservations{
		UID:     os.Getuid(),
		Inside:  errText(Inside()),
		Local:   map[string]bool{},
		Guard:   map[string]string{},
		Reached: map[string]string{},
	}
	if lo, err := netlink.LinkByName("lo"); err == nil {
		addrs, _ := netlink.AddrList(lo, netlink.FAMILY_ALL)
		for _, a := range addrs {
			o.LoAddrs = append(o.LoAddrs, a.IPNet.String())
		}
	}
	for _, a := range planAddrs() {
		o.Local[a.String()] = isLocal(a)
		o.Guard[a.String()] = errText(Guard(a))
	}
	// A route lookup only: nothing is sent.
	_, err := netlink.RouteGet(net.ParseIP("198.51.100.1"))
	o.RouteOut = errText(err)
	for _, ap := range canaries() {
		o.Reached[ap.String()] = errText(reach(ap))
	}
	resolv, _ := os.ReadFile(resolvConf)
	hosts, _ := os.ReadFile(hostsFile)
	o.ResolvConf, o.Hosts = string(resolv), string(hosts)
	o.Descendant = descendantInside()
	return roletest.Report(o)
}

// isLocal says whether this namespace's routing table delivers a locally.
func isLocal(a netip.Addr) bool {
	routes, err := netlink.RouteGet(a.AsSlice())
	return err == nil && len(routes) > 0 && routes[0].Type == unix.RTN_LOCAL
}

// reach puts a canary at ap and connects to it from this process.
func reach(ap netip.AddrPort) error {
	if err := Guard(ap.Addr()); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", ap.String())
	if err != nil {
		return err
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = c.Write([]byte("canary " + ap.String()))
	}()
	c, err := net.DialTimeout("tcp", ap.String(), 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if want := "canary " + ap.String(); string(got) != want {
		return fmt.Errorf("read %q, want %q", got, want)
	}
	return nil
}

// descendantInside starts this binary inside the sandbox, as the harness
// starts an implementation under test, and returns what Inside said there;
// its Run must leave it in this sandbox.
func descendantInside() string {
	f, err := os.CreateTemp("", "xbcheck-sandbox-descendant-")
	if err != nil {
		return err.Error()
	}
	defer os.Remove(f.Name())
	f.Close()
	cmd := exec.Command("/proc/self/exe", "-test.run=^$")
	cmd.Env = append(os.Environ(), roletest.RoleEnv+"=report", roletest.OutEnv+"="+f.Name())
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "descendant: " + err.Error()
	}
	var r descendantReport
	b, _ := os.ReadFile(f.Name())
	if err := json.Unmarshal(b, &r); err != nil {
		return "descendant report: " + err.Error()
	}
	if netns, _ := currentNS("net"); r.Netns != netns.String() {
		return "the descendant built a sandbox of its own instead of staying in this one"
	}
	return r.Inside
}

// waitSignal says it is ready on stdout, then waits for SIGTERM.
func waitSignal() int {
	got := make(chan os.Signal, 1)
	signal.Notify(got, syscall.SIGTERM)
	fmt.Println("ready")
	select {
	case <-got:
		fmt.Println("terminated")
		return exitGotSIGTERM
	case <-time.After(time.Minute):
		return 3
	}
}

// nestedResult is what a child saw when it tried to build a sandbox of its
// own that could not be built.
type nestedResult struct {
	Err         string
	Unavailable bool
}

func reportNested(err error) int {
	return roletest.Report(nestedResult{Err: errText(err), Unavailable: errors.Is(err, ErrUnavailable)})
}

// reexecRefused forbids new user namespaces in its own user namespace, then
// tries to build a sandbox: the kernel refuses the clone.
func reexecRefused() int {
	if err := os.WriteFile("/proc/sys/user/max_user_namespaces", []byte("0"), 0); err != nil {
		return reportNested(fmt.Errorf("forbidding user namespaces: %w", err))
	}
	_, err := reexec()
	return reportNested(err)
}

// reexecSetupFailed hides /etc in its own mount namespace, then tries to
// build a sandbox: the grandchild cannot bind-mount over /etc/resolv.conf and
// reports that its setup failed.
func reexecSetupFailed() int {
	if err := unix.Mount("tmpfs", "/etc", "tmpfs", 0, ""); err != nil {
		return reportNested(fmt.Errorf("hiding /etc: %w", err))
	}
	os.Setenv(roletest.RoleEnv, "ready") // should the grandchild get through after all
	_, err := reexec()
	return reportNested(err)
}
