package node

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/miekg/dns"
	"github.com/vishvananda/netlink"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/node/nodetest"
	"github.com/xbcheck/xbcheck/internal/roletest"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// requireNode skips the test where a node cannot run (nodetest.Require),
// holds the host alone (these tests look at the whole host for a node's
// leftovers: a node of another package's test must not be running
// meanwhile) and prepares the node's assets.
func requireNode(t *testing.T) Assets {
	t.Helper()
	nodetest.Require(t, Check, nodetest.Exclusive)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	a, err := Prepare(ctx, os.Stderr, binaries.ModeAuto)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// scenarioReport is what the scenario saw inside the sandbox.
type scenarioReport struct {
	Err        string
	StartTime  time.Duration
	StopTime   time.Duration
	PeakMemory uint64
	Client     clientReport
	ClientLog  string
	Backends   []string
}

// scenario runs inside the node sandbox: a node, a Deployment of two
// backends behind a Service, and a client pod that lists pods with its
// service account, resolves the Service and calls it; the client's log is
// read back through the API server.
func scenario(ctx context.Context, a Assets) int {
	var r scenarioReport
	if err := runScenario(ctx, a, &r); err != nil {
		r.Err = err.Error()
	}
	return roletest.Report(r)
}

func runScenario(ctx context.Context, a Assets, r *scenarioReport) error {
	probe, err := SelfImage("probe")
	if err != nil {
		return err
	}
	zone, err := serveTestZone()
	if err != nil {
		return err
	}
	defer zone.Shutdown()
	stub := map[string][]netip.AddrPort{"xbcheck.test": {netip.MustParseAddrPort(zone.Addr)}}
	c, err := Start(ctx, Options{Assets: a, Images: []Image{probe}, StubZones: stub, Progress: os.Stderr})
	if err != nil {
		return err
	}
	defer func() {
		begin := time.Now()
		if serr := c.Stop(); serr != nil && r.Err == "" {
			r.Err = "stop: " + serr.Error()
		}
		r.StopTime = time.Since(begin)
	}()
	r.StartTime = c.StartTime
	cs, err := kubernetes.NewForConfig(c.Config)
	if err != nil {
		return err
	}
	const ns = "e2e"
	if err := createWorkload(ctx, cs, ns, probe.Ref); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var pod *corev1.Pod
	err = wait.PollUntilContextCancel(ctx, 500*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		pod, err = cs.CoreV1().Pods(ns).Get(ctx, "client", metav1.GetOptions{})
		return err == nil && (pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed), nil
	})
	if err != nil {
		return fmt.Errorf("the client pod did not finish (phase %v): %w", pod.Status.Phase, err)
	}
	logs, err := cs.CoreV1().Pods(ns).GetLogs("client", &corev1.PodLogOptions{}).DoRaw(ctx)
	if err != nil {
		return fmt.Errorf("read the client's log: %w", err)
	}
	r.ClientLog = string(logs)
	if err := json.Unmarshal(logs, &r.Client); err != nil {
		return fmt.Errorf("the client's log is no report: %w: %q", err, logs)
	}
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=echo"})
	if err != nil {
		return err
	}
	for _, p := range pods.Items {
		r.Backends = append(r.Backends, p.Name)
	}
	r.PeakMemory, err = c.PeakMemory()
	return err
}

// testZoneAddr is where the scenario's DNS server for xbcheck.test listens:
// an address of the sandbox's simulated internet, on the node's lo, which
// pods reach through their gateway, the node.
const testZoneAddr = "203.0.113.53:53"

// serveTestZone answers upstream.xbcheck.test with 203.0.113.7, the way the
// rogue DNS will answer for the runner's fakes.
func serveTestZone() (*dns.Server, error) {
	ap := netip.MustParseAddrPort(testZoneAddr)
	if err := sandbox.Guard(ap.Addr()); err != nil {
		return nil, err
	}
	pc, err := net.ListenPacket("udp", testZoneAddr)
	if err != nil {
		return nil, err
	}
	srv := &dns.Server{PacketConn: pc, Addr: testZoneAddr, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if len(q.Question) == 1 && strings.EqualFold(q.Question[0].Name, "upstream.xbcheck.test.") && q.Question[0].Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 5}, A: net.ParseIP("203.0.113.7")})
		} else {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})}
	go func() { _ = srv.ActivateAndServe() }()
	return srv, nil
}

func createWorkload(ctx context.Context, cs kubernetes.Interface, ns, image string) error {
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "lister"}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-lister"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}}},
	}
	if _, err := cs.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		return err
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-lister"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "pod-lister"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "lister", Namespace: ns}},
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		return err
	}
	labels := map[string]string{"app": "echo"}
	probeContainer := func(role string) corev1.Container {
		return corev1.Container{
			Name:            role,
			Image:           image,
			ImagePullPolicy: corev1.PullNever,
			Env: []corev1.EnvVar{
				{Name: roletest.RoleEnv, Value: role},
				{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
			},
		}
	}
	backend := probeContainer("serve")
	backend.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(8080)}}, PeriodSeconds: 1}
	deploy := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{backend}},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, deploy, metav1.CreateOptions{}); err != nil {
		return err
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec:       corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	}
	if _, err := cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return err
	}
	// The client starts once both backends are ready.
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, "echo", metav1.GetOptions{})
		return err == nil && d.Status.ReadyReplicas == 2, nil
	})
	if err != nil {
		return fmt.Errorf("the echo Deployment did not get 2 ready pods: %w", err)
	}
	client := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "client"},
		Spec: corev1.PodSpec{
			ServiceAccountName: "lister",
			RestartPolicy:      corev1.RestartPolicyNever,
			Containers:         []corev1.Container{probeContainer("client")},
		},
	}
	_, err = cs.CoreV1().Pods(ns).Create(ctx, client, metav1.CreateOptions{})
	return err
}

// hold starts a node and keeps it until interrupted.
func hold(ctx context.Context, a Assets) int {
	c, err := Start(ctx, Options{Assets: a, Progress: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	<-ctx.Done()
	if err := c.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 130
}

// sandboxed starts this test binary in role, in a process group of its
// own (as a shell starts a command), its output in the test's log.
func sandboxed(t *testing.T, role, out string) *exec.Cmd {
	t.Helper()
	cmd := roletest.Command(role, out)
	cmd.SysProcAttr = newProcessGroup()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func TestNodeEndToEnd(t *testing.T) {
	requireNode(t)
	before := snapshotHost(t)
	out := filepath.Join(t.TempDir(), "report.json")
	begin := time.Now()
	cmd := sandboxed(t, "cluster", out)
	roletest.Wait(t, cmd, 10*time.Minute)
	total := time.Since(begin)
	var r scenarioReport
	roletest.Read(t, out, &r)
	if r.Err != "" {
		t.Fatalf("scenario: %s", r.Err)
	}
	c := r.Client
	if c.ListErr != "" || c.Pods < 3 {
		t.Errorf("the client listed %d pods with its service account (want the 2 backends and itself): %s", c.Pods, c.ListErr)
	}
	if !c.SecretsForbidden {
		t.Error("RBAC let the client list secrets it was not granted")
	}
	if c.ResolveErr != "" || len(c.Resolved) == 0 {
		t.Errorf("the client did not resolve the echo Service: %s", c.ResolveErr)
	}
	if c.StubErr != "" || !slices.Equal(c.Stub, []string{"203.0.113.7"}) {
		t.Errorf("the client resolved upstream.xbcheck.test to %v (%s), want 203.0.113.7 from the stub zone's server on the node", c.Stub, c.StubErr)
	}
	if c.HTTPErr != "" || !slices.Contains(r.Backends, c.Answer) {
		t.Errorf("the echo Service answered %q (%s), want one of its backends %v", c.Answer, c.HTTPErr, r.Backends)
	}
	t.Logf("client log: %s", strings.TrimSpace(r.ClientLog))
	t.Logf("warm start to a Ready node with CoreDNS answering: %s; Stop: %s; whole run with teardown: %s; peak memory of the sandbox: %d MiB",
		r.StartTime.Round(100*time.Millisecond), r.StopTime.Round(10*time.Millisecond), total.Round(100*time.Millisecond), r.PeakMemory>>20)
	if r.StartTime > 30*time.Second {
		t.Logf("warm start took %s, more than the 30 s target", r.StartTime)
	}
	leftovers(t, before)
}

// hostState is what a node could leave in the host.
type hostState struct {
	mounts, links, rules, dirs map[string]bool
}

func snapshotHost(t *testing.T) hostState {
	t.Helper()
	s := hostState{mounts: map[string]bool{}, links: map[string]bool{}, rules: map[string]bool{}, dirs: map[string]bool{}}
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 {
			s.mounts[f[4]+" "+f[3]] = true
		}
	}
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		s.links[l.Attrs().Name] = true
	}
	for _, table := range []string{"filter", "nat", "mangle"} {
		out, err := exec.Command("iptables-save", "-t", table).Output()
		if err != nil {
			t.Fatalf("iptables-save -t %s: %v", table, err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, ":") || strings.HasPrefix(line, "-A") {
				s.rules[table+" "+strings.Fields(line)[0]+" "+line] = true
			}
		}
	}
	// The host's own settings, which the kubelet would change.
	for name := range kubeletSysctls() {
		b, err := os.ReadFile(filepath.Join("/proc/sys", name))
		if err != nil {
			t.Fatal(err)
		}
		s.dirs["sysctl "+name+"="+strings.TrimSpace(string(b))] = true
	}
	globs := append(PrivateDirs(), filepath.Join(os.TempDir(), "xbcheck-node-*"), "/sys/fs/cgroup/*/xbcheck-node-*", "/sys/fs/cgroup/xbcheck-node-*")
	for _, g := range globs {
		matches, _ := filepath.Glob(g)
		for _, m := range matches {
			s.dirs[m] = true
		}
	}
	return s
}

// nodeProgram names the executables only a node runs, and the paths its
// pods' programs have inside their images.
func nodeProgram(exe, argv0 string) bool {
	switch filepath.Base(exe) {
	case "kubelet", "kube-controller-manager", "kube-scheduler", "kube-proxy", "containerd", "containerd-shim-runc-v2", "runc", "coredns", "pause":
		return true
	}
	return argv0 == "/probe" || argv0 == "/pause" || argv0 == "/coredns"
}

// leftovers fails the test for every process, mount, link, iptables rule,
// folder or cgroup of a node found in the host that was not there before.
// What other tests running meanwhile make and remove (the sandbox
// package's node tests) is gone at a second look, a moment later.
func leftovers(t *testing.T, before hostState) {
	t.Helper()
	var found []string
	for look := 0; look < 5; look++ {
		if found = leftIn(t, before); len(found) == 0 {
			return
		}
		time.Sleep(time.Second)
	}
	for _, f := range found {
		t.Errorf("left in the host: %s", f)
	}
}

func leftIn(t *testing.T, before hostState) []string {
	t.Helper()
	var found []string
	after := snapshotHost(t)
	for _, kind := range []struct {
		name          string
		before, after map[string]bool
	}{{"mount", before.mounts, after.mounts}, {"link", before.links, after.links}, {"iptables rule", before.rules, after.rules}, {"folder, cgroup or changed sysctl", before.dirs, after.dirs}} {
		for k := range kind.after {
			if !kind.before[k] {
				found = append(found, kind.name+" "+k)
			}
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		exe, _ := os.Readlink(filepath.Join(p, "exe"))
		cmdline, err := os.ReadFile(filepath.Join(p, "cmdline"))
		if err != nil {
			continue
		}
		argv := strings.Split(string(cmdline), "\x00")
		if nodeProgram(exe, argv[0]) || strings.Contains(string(cmdline), "xbcheck-node-") {
			found = append(found, fmt.Sprintf("process %s %q", p, strings.Join(argv, " ")))
		}
	}
	return found
}

func newProcessGroup() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// TestNodeInterruptLeavesNothing presses Ctrl-C (SIGINT to the process
// group, as a terminal does) at random points of a node's start and life:
// each time, everything ends and nothing is left in the host.
func TestNodeInterruptLeavesNothing(t *testing.T) {
	requireNode(t)
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("seed %d", seed)
	// Ten points spread over the first 16 s (a warm start takes about
	// 12), each at a random place in its own 1.6 s slot.
	const points, slot = 10, 1600 * time.Millisecond
	for i := range points {
		delay := time.Duration((float64(i) + rng.Float64()) * float64(slot))
		t.Run(fmt.Sprintf("after_%s", delay.Round(time.Millisecond)), func(t *testing.T) {
			before := snapshotHost(t)
			cmd := sandboxed(t, "hold", filepath.Join(t.TempDir(), "unused.json"))
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			time.Sleep(delay)
			sent := time.Now()
			if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				t.Logf("interrupted after %s: ended in %s (%v)", delay.Round(time.Millisecond), time.Since(sent).Round(10*time.Millisecond), err)
			case <-time.After(time.Minute):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				t.Fatalf("still running a minute after Ctrl-C at %s", delay)
			}
			leftovers(t, before)
		})
	}
}

// The leftover check itself must see what a node could leave.
func TestLeftoversAreSeen(t *testing.T) {
	if err := Check(); err != nil {
		t.Skipf("the host cannot be inspected as a node's would be: %v", err)
	}
	before := snapshotHost(t)
	dir, err := os.MkdirTemp("", "xbcheck-node-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	found := leftIn(t, before)
	if !slices.ContainsFunc(found, func(f string) bool { return strings.Contains(f, dir) }) {
		t.Fatalf("a new %s was not seen as left over: %v", dir, found)
	}
}
