package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/miekg/dns"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/node/config"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// Start starts a single-node cluster in the node sandbox this process runs
// in (see [SandboxOptions]) and returns once the node is Ready and CoreDNS
// answers for the kubernetes Service. On error, or when ctx ends first,
// everything it started is stopped again.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	begin := time.Now()
	opts.defaults()
	if err := sandbox.Inside(); err != nil {
		return nil, fmt.Errorf("a node starts only inside its sandbox (sandbox.Options.Node): %w", err)
	}
	workdir, err := sandbox.Workdir()
	if err != nil {
		return nil, err
	}
	cgroup, err := sandbox.Cgroup()
	if err != nil {
		return nil, err
	}
	if opts.Assets.Node.Dir == "" {
		// Everything cached is found whatever the mode; the sandbox has
		// no network to fetch the rest with.
		if opts.Assets, err = Prepare(ctx, opts.Progress, binaries.ModeAuto); err != nil {
			return nil, err
		}
	}
	a := opts.Assets
	n := plan(filepath.Join(workdir, "state"), cgroup)
	if opts.LogDir == "" {
		opts.LogDir = filepath.Join(workdir, "logs")
	}
	for _, d := range []string{n.State, opts.LogDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	// The state lives in memory: fast for etcd, and gone with the sandbox.
	if err := unix.Mount("tmpfs", n.State, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
		return nil, fmt.Errorf("mount the node's state: %w", err)
	}
	sup := &supervisor{logDir: opts.LogDir}
	c := &Cluster{
		Kubeconfig:    filepath.Join(workdir, "kubeconfig"),
		NodeName:      n.Name,
		NodeIP:        n.IP,
		APIServer:     netip.AddrPortFrom(n.IP, apiServerPort),
		PodCIDR:       n.PodCIDR,
		ServiceCIDR:   n.ServiceCIDR,
		DNS:           n.DNS,
		ClusterDomain: n.ClusterDomain,
		LogDir:        opts.LogDir,
		ctr:           a.Node.Path(binaries.Ctr),
		socket:        n.Socket(),
		cgroup:        cgroup,
	}
	c.stop = func() error { return stopNode(sup, n) }
	defer func() {
		if err != nil {
			err = errors.Join(err, c.Stop())
		}
	}()
	step := func(what string) {
		fmt.Fprintf(opts.Progress, "node: %s (%s)\n", what, time.Since(begin).Round(100*time.Millisecond))
	}

	f, err := writeFiles(n, a, c.Kubeconfig)
	if err != nil {
		return nil, err
	}
	if err := shieldHostSysctls(n.Path("sysctl")); err != nil {
		return nil, err
	}
	if err := setupNetwork(n); err != nil {
		return nil, err
	}
	step("starting etcd, kube-apiserver and containerd")
	if _, err := sup.start("etcd", a.ControlPlane.Path(binaries.Etcd), etcdArgs(n)); err != nil {
		return nil, err
	}
	if _, err := sup.start("kube-apiserver", a.ControlPlane.Path(binaries.KubeAPIServer), apiServerArgs(n, f)); err != nil {
		return nil, err
	}
	// containerd finds the runc shim on PATH.
	path := "PATH=" + a.Node.Folder(binaries.ContainerdShim) + ":" + os.Getenv("PATH")
	if _, err := sup.start("containerd", a.Node.Path(binaries.Containerd), []string{"--config", f.containerd}, path); err != nil {
		return nil, err
	}

	waitCtx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	var images sync.WaitGroup
	var importErr error
	images.Add(1)
	go func() {
		defer images.Done()
		importErr = importImages(waitCtx, sup, c, append([]Image{a.Pause, a.CoreDNS}, opts.Images...))
	}()

	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return nil, err
	}
	c.Config = cfg
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	err = sup.poll(waitCtx, "kube-apiserver", 100*time.Millisecond, func(ctx context.Context) error {
		_, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	step("API server ready; starting the controller manager, scheduler, kubelet and kube-proxy")
	if _, err := sup.start("kube-controller-manager", a.Node.Path(binaries.KubeControllerManager), controllerManagerArgs(f)); err != nil {
		return nil, err
	}
	if _, err := sup.start("kube-scheduler", a.Node.Path(binaries.KubeScheduler), schedulerArgs(f)); err != nil {
		return nil, err
	}
	if _, err := sup.start("kube-proxy", a.Node.Path(binaries.KubeProxy), []string{"--config", f.kubeProxyConfig}); err != nil {
		return nil, err
	}
	if err := installCoreDNS(waitCtx, cs, n, a.CoreDNS.Ref, opts.StubZones); err != nil {
		return nil, err
	}
	images.Wait()
	if importErr != nil {
		return nil, importErr
	}
	step("images imported")
	if _, err := sup.start("kubelet", a.Node.Path(binaries.Kubelet), kubeletArgs(n, f)); err != nil {
		return nil, err
	}
	err = sup.poll(waitCtx, "the node to be Ready", 200*time.Millisecond, func(ctx context.Context) error {
		return nodeReady(ctx, cs, n.Name)
	})
	if err != nil {
		return nil, err
	}
	step("node Ready")
	err = sup.poll(waitCtx, "CoreDNS to answer", 200*time.Millisecond, func(ctx context.Context) error {
		return dnsAnswers(ctx, n)
	})
	if err != nil {
		return nil, err
	}
	c.StartTime = time.Since(begin)
	step("CoreDNS answers; the cluster is up")
	return c, nil
}

// importImages imports the images once containerd answers.
func importImages(ctx context.Context, sup *supervisor, c *Cluster, images []Image) error {
	err := sup.poll(ctx, "containerd", 50*time.Millisecond, func(context.Context) error {
		_, err := os.Stat(c.socket)
		return err
	})
	if err != nil {
		return err
	}
	for _, img := range images {
		if err := c.ImportImage(ctx, img.Path); err != nil {
			return err
		}
	}
	return nil
}

func nodeReady(ctx context.Context, cs kubernetes.Interface, name string) error {
	node, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			if c.Status == corev1.ConditionTrue {
				return nil
			}
			return fmt.Errorf("node %s is not Ready: %s", name, c.Message)
		}
	}
	return fmt.Errorf("node %s reports no Ready condition yet", name)
}

// dnsAnswers asks the cluster DNS, through its Service, for the kubernetes
// Service's name and expects its ClusterIP.
func dnsAnswers(ctx context.Context, n config.Node) error {
	m := new(dns.Msg)
	name := "kubernetes.default.svc." + n.ClusterDomain + "."
	m.SetQuestion(name, dns.TypeA)
	cl := &dns.Client{Timeout: time.Second}
	r, _, err := cl.ExchangeContext(ctx, m, netip.AddrPortFrom(n.DNS, 53).String())
	if err != nil {
		return err
	}
	want := n.ServiceCIDR.Addr().Next()
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			if got, _ := netip.AddrFromSlice(a.A.To4()); got == want {
				return nil
			}
		}
	}
	return fmt.Errorf("CoreDNS answered %s for %s, want %s", dns.RcodeToString[r.Rcode], name, want)
}

// stopNode ends the daemons, then every other process of the sandbox but
// this one and its first (container shims and pods, which are no children
// of the daemons), unmounts the state and removes the bridge.
func stopNode(sup *supervisor, n config.Node) error {
	sup.stop(time.Second)
	var errs []error
	self := os.Getpid()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		errs = append(errs, err)
	}
	var victims []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == 1 || pid == self {
			continue
		}
		if unix.Kill(pid, unix.SIGKILL) == nil {
			victims = append(victims, pid)
		}
	}
	// Wait for them to be gone, so their mounts are released.
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range victims {
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if err := unix.Unmount(n.State, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
		errs = append(errs, fmt.Errorf("unmount the node's state: %w", err))
	}
	if err := deleteBridge(n.Bridge); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// alive tells whether pid runs: a zombie has ended, whoever reaps it.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z'
}

func deleteBridge(name string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return nil
	}
	if err := netlink.LinkDel(l); err != nil {
		return fmt.Errorf("remove the node's bridge %s: %w", name, err)
	}
	return nil
}
