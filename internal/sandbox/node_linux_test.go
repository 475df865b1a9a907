package sandbox

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/xbcheck/xbcheck/internal/roletest"
)

// orphanArg marks the process the node child leaves running, so the test
// can look for it in the host afterwards.
const orphanArg = "98765"

// nodeObservations is what the node child saw inside its sandbox.
type nodeObservations struct {
	PID, PPID      int
	HostPID        int
	Processes      int
	PrivateTmpfs   []bool
	Workdir        string
	WorkdirErr     string
	Cgroup         string
	InCgroup       bool
	InsideWithLo   string
	InsideBridge   string
	InsideOtherUp  string
	DefaultRouteUp string
}

func observeNode() int {
	var o nodeObservations
	o.PID, o.PPID = os.Getpid(), os.Getppid()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err == nil {
			o.Processes++
		}
	}
	for _, d := range filepath.SplitList(os.Getenv(testPrivateEnv)) {
		var st unix.Statfs_t
		o.PrivateTmpfs = append(o.PrivateTmpfs, unix.Statfs(d, &st) == nil && st.Type == unix.TMPFS_MAGIC)
	}
	var err error
	o.Workdir, err = Workdir()
	o.WorkdirErr = errText(err)
	o.Cgroup, _ = Cgroup()
	own, _ := os.ReadFile("/proc/self/cgroup")
	o.InCgroup = o.Cgroup != "" && strings.Contains(string(own), ":"+o.Cgroup+"\n")
	o.InsideWithLo = errText(Inside())
	o.HostPID, _ = HostPID()

	// A pod network: a bridge and a veth pair, up, with a route.
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: "xbtest0"}}
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "xbveth0", MasterIndex: 0}, PeerName: "xbveth1"}
	if err := errors.Join(netlink.LinkAdd(br), netlink.LinkAdd(veth), netlink.LinkSetUp(br), netlink.LinkSetUp(veth)); err != nil {
		o.InsideBridge = "setting up: " + err.Error()
	} else {
		addr, _ := netlink.ParseAddr("10.99.0.1/24")
		if err := netlink.AddrAdd(br, addr); err != nil {
			o.InsideBridge = "setting up: " + err.Error()
		} else {
			o.InsideBridge = errText(Inside())
		}
	}
	// A link of another kind (a tunnel could lead anywhere) is refused.
	tunnel := &netlink.Vxlan{LinkAttrs: netlink.LinkAttrs{Name: "xbtunnel0"}, VxlanId: 7, Port: 4789}
	if err := errors.Join(netlink.LinkAdd(tunnel), netlink.LinkSetUp(tunnel)); err != nil {
		o.InsideOtherUp = "setting up: " + err.Error()
	} else {
		o.InsideOtherUp = errText(Inside())
		_ = netlink.LinkDel(tunnel)
	}
	gw := net.ParseIP("10.99.0.254")
	if err := netlink.RouteAdd(&netlink.Route{Gw: gw}); err == nil {
		o.DefaultRouteUp = errText(Inside())
	}
	// Left running on purpose: the PID namespace must take it along.
	if err := exec.Command("sleep", orphanArg).Start(); err != nil {
		o.WorkdirErr += " starting the orphan: " + err.Error()
	}
	return roletest.Report(o)
}

func TestNodeSandbox(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a node sandbox needs real root; run the tests as root to cover it")
	}
	base := t.TempDir()
	private := []string{filepath.Join(base, "made", "deep"), t.TempDir()}
	t.Setenv(testPrivateEnv, strings.Join(private, string(filepath.ListSeparator)))
	out := filepath.Join(t.TempDir(), "node.json")
	t.Setenv(roletest.OutEnv, out)
	t.Setenv(roletest.RoleEnv, "node-observe")
	handled, code, err := Run(Options{Node: &NodeOptions{PrivateDirs: private}})
	if err != nil || !handled || code != 0 {
		t.Fatalf("Run() = handled %v, code %d, err %v; want the child run and exit 0", handled, code, err)
	}
	var o nodeObservations
	roletest.Read(t, out, &o)
	if o.PID == 1 || o.PPID != 1 {
		t.Errorf("the program runs as PID %d, child of %d, in its namespace; want a child of PID 1 (the reaper)", o.PID, o.PPID)
	}
	if o.Processes > 5 {
		t.Errorf("/proc shows %d processes: it is not the new PID namespace's", o.Processes)
	}
	for i, ok := range o.PrivateTmpfs {
		if !ok {
			t.Errorf("private folder %s is no tmpfs inside", private[i])
		}
	}
	if o.HostPID <= 1 || o.HostPID == o.PID {
		t.Errorf("HostPID() = %d inside, want the host's PID of the sandbox", o.HostPID)
	}
	if o.WorkdirErr != "" || o.Workdir == "" {
		t.Errorf("Workdir() = %q, %s", o.Workdir, o.WorkdirErr)
	}
	if !o.InCgroup {
		t.Errorf("the program is not in the sandbox's cgroup %q", o.Cgroup)
	}
	if o.InsideWithLo != "" || o.InsideBridge != "" {
		t.Errorf("Inside() with lo: %q; with a bridge and veth pair up: %q; want both nil", o.InsideWithLo, o.InsideBridge)
	}
	if !strings.Contains(o.InsideOtherUp, "xbtunnel0") {
		t.Errorf("Inside() with a VXLAN link up = %q, want it refused", o.InsideOtherUp)
	}
	if !strings.Contains(o.DefaultRouteUp, "default route") {
		t.Errorf("Inside() with a default route = %q, want it refused", o.DefaultRouteUp)
	}

	// Nothing is left outside.
	for _, p := range []string{o.Workdir, filepath.Join(base, "made")} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is left after the sandbox ended (%v)", p, err)
		}
	}
	mounts, _ := cgroupMounts()
	for _, m := range mounts {
		if _, err := os.Stat(filepath.Join(m, o.Cgroup)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cgroup %s is left after the sandbox ended", filepath.Join(m, o.Cgroup))
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && string(b) == "sleep\x00"+orphanArg+"\x00" {
			t.Errorf("the orphan the child left is still running (%s)", p)
		}
	}
}

func TestEnsureDir(t *testing.T) {
	base := t.TempDir()
	link := filepath.Join(base, "link")
	if err := os.Symlink(base, link); err != nil {
		t.Fatal(err)
	}
	real, created, err := ensureDir(filepath.Join(link, "a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	if real != filepath.Join(base, "a", "b") || created != filepath.Join(base, "a") {
		t.Fatalf("ensureDir = %q, %q; want the link resolved and %s created", real, created, filepath.Join(base, "a"))
	}
	if real, created, err = ensureDir(base); err != nil || real != base || created != "" {
		t.Fatalf("ensureDir of an existing folder = %q, %q, %v", real, created, err)
	}
	if err := removeEmptyUpTo(filepath.Join(base, "a", "b"), filepath.Join(base, "a")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(base, "a")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s is left", filepath.Join(base, "a"))
	}
}
