package kindtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// UnreachableKubeconfig is a kubeconfig client-go parses; nothing dials
// it.
const UnreachableKubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: kind, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: kind, user: {token: t}}]
contexts: [{name: kind, context: {cluster: kind, user: kind}}]
current-context: kind
`

// Runtime is kind as tests need it. Its methods are those of kind.Runtime
// (this package cannot name the interface: internal/kind's own tests use
// it). Set CreateErr, Block and Started before the first call.
type Runtime struct {
	// CreateErr fails Create, after kind's own cleanup (the nodes go).
	CreateErr error
	// Block, when set, holds Create once its nodes exist until it is
	// closed or the cluster is deleted; Started is closed when Create
	// begins to wait.
	Block, Started chan struct{}
	// RequireTarballs fails LoadImage of a tarball that does not exist.
	RequireTarballs bool

	kubeconfig string
	mu         sync.Mutex
	clusters   map[string][]string // name -> images loaded
	gone       map[string]chan struct{}
	calls      []string
}

// New returns a fake whose clusters all have kubeconfig (""
// UnreachableKubeconfig), with clusters existing already there.
func New(kubeconfig string, existing ...string) *Runtime {
	if kubeconfig == "" {
		kubeconfig = UnreachableKubeconfig
	}
	r := &Runtime{kubeconfig: kubeconfig, clusters: map[string][]string{}, gone: map[string]chan struct{}{}}
	for _, n := range existing {
		r.clusters[n] = nil
	}
	return r
}

func (r *Runtime) record(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, fmt.Sprintf(format, args...))
}

// Calls are the calls made so far, in order: "create NAME config=%q
// image=%q", "kubeconfig NAME", "load NAME TARBALL-BASE", "delete NAME".
func (r *Runtime) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// Deleted names the clusters deleted, in order.
func (r *Runtime) Deleted() []string {
	var names []string
	for _, c := range r.Calls() {
		if name, ok := strings.CutPrefix(c, "delete "); ok {
			names = append(names, name)
		}
	}
	return names
}

// Has reports whether cluster name exists.
func (r *Runtime) Has(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.clusters[name]
	return ok
}

// Images lists the base names of the tarballs loaded into cluster name.
func (r *Runtime) Images(name string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.clusters[name])
}

// Add makes cluster name exist, as if made outside xbcheck.
func (r *Runtime) Add(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clusters[name] = nil
}

// Forget removes cluster name without a call of Delete.
func (r *Runtime) Forget(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.clusters, name)
}

func (r *Runtime) Name() string { return "fake" }

func (r *Runtime) List() ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var names []string
	for n := range r.clusters {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

func (r *Runtime) Create(name string, config []byte, nodeImage, kubeconfig string, _ time.Duration) error {
	r.record("create %s config=%q image=%q", name, config, nodeImage)
	gone := make(chan struct{})
	r.mu.Lock()
	r.clusters[name] = nil // the nodes exist from here on
	r.gone[name] = gone
	r.mu.Unlock()
	if r.Block != nil {
		close(r.Started)
		select {
		case <-r.Block:
		case <-gone:
			return errors.New("node container vanished")
		}
	}
	if r.CreateErr != nil {
		r.Forget(name) // kind deletes the nodes of a failed create
		return r.CreateErr
	}
	return os.WriteFile(kubeconfig, []byte(r.kubeconfig), 0o600)
}

func (r *Runtime) Kubeconfig(name string) (string, error) {
	r.record("kubeconfig %s", name)
	if !r.Has(name) {
		return "", fmt.Errorf("no cluster %s", name)
	}
	return r.kubeconfig, nil
}

func (r *Runtime) LoadImage(name, tarball string) error {
	r.record("load %s %s", name, filepath.Base(tarball))
	if r.RequireTarballs {
		if _, err := os.Stat(tarball); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.clusters[name]; !ok {
		return fmt.Errorf("no cluster %s", name)
	}
	r.clusters[name] = append(r.clusters[name], filepath.Base(tarball))
	return nil
}

func (r *Runtime) Delete(name, _ string) error {
	r.record("delete %s", name)
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.clusters, name)
	if gone, ok := r.gone[name]; ok {
		close(gone)
		delete(r.gone, name)
	}
	return nil
}
