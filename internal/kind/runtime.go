package kind

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	kindcluster "sigs.k8s.io/kind/pkg/cluster"
	"sigs.k8s.io/kind/pkg/cluster/nodeutils"
	kindexec "sigs.k8s.io/kind/pkg/exec"
	"sigs.k8s.io/kind/pkg/log"
)

// Runtime is what xbcheck asks of kind: the few calls of kind's
// cluster.Provider it uses, so tests can give a fake.
type Runtime interface {
	// Name is the container runtime kind drives: docker or podman.
	Name() string
	// List names the kind clusters that exist.
	List() ([]string, error)
	// Create creates cluster name from a kind Cluster configuration
	// (empty: kind's default, one node), with every node running
	// nodeImage (empty: kind's default), writes its kubeconfig to
	// kubeconfig and waits up to wait for the control plane to be Ready.
	// On failure it leaves no node behind.
	Create(name string, config []byte, nodeImage, kubeconfig string, wait time.Duration) error
	// Kubeconfig returns the kubeconfig of an existing cluster, reachable
	// from where xbcheck runs.
	Kubeconfig(name string) (string, error)
	// LoadImage imports an image tarball (`docker save` form) into the
	// container runtime of every node of the cluster.
	LoadImage(name, tarball string) error
	// Delete deletes the cluster's nodes and its entry in kubeconfig.
	// Deleting a cluster that does not exist is no error.
	Delete(name, kubeconfig string) error
}

// NewRuntime returns the real Runtime: kind's provider for Docker, or for
// Podman when only Podman is installed (KIND_EXPERIMENTAL_PROVIDER chooses,
// as it does for the kind command). It checks that the runtime's daemon
// answers. kind's own progress lines go to progress.
func NewRuntime(progress io.Writer) (Runtime, error) {
	if progress == nil {
		progress = io.Discard
	}
	name, err := detect()
	if err != nil {
		return nil, err
	}
	if out, err := exec.Command(name, "info").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("kind needs a running %s, and `%s info` failed (%v: %s); start the %s daemon, or point DOCKER_HOST at one", name, name, err, lastLine(string(out)), name)
	}
	opt := kindcluster.ProviderWithDocker()
	if name == "podman" {
		opt = kindcluster.ProviderWithPodman()
	}
	return &kindRuntime{name: name, p: kindcluster.NewProvider(opt, kindcluster.ProviderWithLogger(logger{progress})), made: map[string]bool{}}, nil
}

// detect names the container runtime kind would use, as the kind command
// does: KIND_EXPERIMENTAL_PROVIDER, else Docker, else Podman.
func detect() (string, error) {
	switch env := os.Getenv("KIND_EXPERIMENTAL_PROVIDER"); env {
	case "docker", "podman":
		return env, nil
	case "":
	default:
		return "", fmt.Errorf("KIND_EXPERIMENTAL_PROVIDER=%s: xbcheck drives kind on docker or podman; set it to one of them or unset it", env)
	}
	for _, rt := range []struct{ name, version string }{{"docker", "Docker version"}, {"podman", "podman version"}} {
		out, err := exec.Command(rt.name, "-v").Output()
		if err == nil && strings.HasPrefix(string(out), rt.version) {
			return rt.name, nil
		}
	}
	return "", errors.New("--provider kind needs Docker or Podman, and neither docker nor podman is on PATH; install one (or use --provider node)")
}

// kindRuntime is Runtime over kind's cluster.Provider.
type kindRuntime struct {
	name string
	p    *kindcluster.Provider
	// made holds the clusters whose create made kind's network: deleting
	// the last of them removes it again (kind itself never does).
	mu   sync.Mutex
	made map[string]bool
}

func (r *kindRuntime) Name() string { return r.name }

func (r *kindRuntime) List() ([]string, error) { return r.p.List() }

func (r *kindRuntime) Create(name string, config []byte, nodeImage, kubeconfig string, wait time.Duration) error {
	opts := []kindcluster.CreateOption{
		kindcluster.CreateWithKubeconfigPath(kubeconfig),
		kindcluster.CreateWithWaitForReady(wait),
		kindcluster.CreateWithDisplayUsage(false),
		kindcluster.CreateWithDisplaySalutation(false),
	}
	if len(config) > 0 {
		opts = append(opts, kindcluster.CreateWithRawConfig(config))
	}
	if nodeImage != "" {
		opts = append(opts, kindcluster.CreateWithNodeImage(nodeImage))
	}
	if !r.networkExists() {
		r.mu.Lock()
		r.made[name] = true
		r.mu.Unlock()
	}
	return withOutput(r.p.Create(name, opts...))
}

// network is the container network kind puts its nodes on.
func (r *kindRuntime) network() string {
	env := "KIND_EXPERIMENTAL_DOCKER_NETWORK"
	if r.name == "podman" {
		env = "KIND_EXPERIMENTAL_PODMAN_NETWORK"
	}
	if n := os.Getenv(env); n != "" {
		return n
	}
	return "kind"
}

func (r *kindRuntime) networkExists() bool {
	return exec.Command(r.name, "network", "inspect", r.network()).Run() == nil
}

// withOutput adds to an error of a command kind ran (kubeadm in a node,
// docker run) the line of its output that says why, which kind's own
// message leaves out.
func withOutput(err error) error {
	re := kindexec.RunErrorForError(err)
	if re == nil || len(re.Output) == 0 {
		return err
	}
	lines := strings.Split(strings.TrimSpace(string(re.Output)), "\n")
	why := lines[len(lines)-1]
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(strings.ToLower(lines[i]), "error") {
			why = lines[i]
			break
		}
	}
	return fmt.Errorf("%w; its output says: %s", err, lastLine(why))
}

func (r *kindRuntime) Kubeconfig(name string) (string, error) { return r.p.KubeConfig(name, false) }

func (r *kindRuntime) LoadImage(name, tarball string) error {
	nodes, err := r.p.ListInternalNodes(name)
	if err != nil {
		return err
	}
	if len(nodes) == 0 {
		return fmt.Errorf("kind cluster %s has no nodes", name)
	}
	for _, n := range nodes {
		f, err := os.Open(tarball)
		if err != nil {
			return err
		}
		err = nodeutils.LoadImageArchive(n, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("node %s: %w", n, err)
		}
	}
	return nil
}

func (r *kindRuntime) Delete(name, kubeconfig string) error {
	if err := r.p.Delete(name, kubeconfig); err != nil {
		return err
	}
	r.mu.Lock()
	made := r.made[name]
	delete(r.made, name)
	r.mu.Unlock()
	if made {
		// Refused while another cluster's nodes use it: then it stays.
		_ = exec.Command(r.name, "network", "rm", r.network()).Run()
	}
	return nil
}

// logger passes kind's user-facing lines (verbosity 0, warnings, errors)
// to a writer, each prefixed with "kind: ".
type logger struct{ w io.Writer }

func (l logger) Warn(m string)                    { l.print("warning: " + m) }
func (l logger) Warnf(f string, a ...any)         { l.Warn(fmt.Sprintf(f, a...)) }
func (l logger) Error(m string)                   { l.print("error: " + m) }
func (l logger) Errorf(f string, a ...any)        { l.Error(fmt.Sprintf(f, a...)) }
func (l logger) V(level log.Level) log.InfoLogger { return infoLogger{l, level == 0} }

func (l logger) print(m string) {
	if m = strings.TrimSpace(m); m != "" {
		fmt.Fprintf(l.w, "kind: %s\n", m)
	}
}

type infoLogger struct {
	l  logger
	on bool
}

func (i infoLogger) Info(m string) {
	if i.on {
		i.l.print(m)
	}
}
func (i infoLogger) Infof(f string, a ...any) { i.Info(fmt.Sprintf(f, a...)) }
func (i infoLogger) Enabled() bool            { return i.on }

// lastLine is the last non-empty line of s, at most 200 bytes.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if len(l) > 200 {
		l = l[:200] + "..."
	}
	return l
}
