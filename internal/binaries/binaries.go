package binaries

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// Pinned versions of the control plane. The XBackend CRD's CEL rules need a
// recent API server; keep these in step with k8s.io/* in go.mod.
const (
	KubernetesVersion = "v1.37.2"
	EtcdVersion       = "v3.6.16"
)

// Names of the binaries as envtest expects them in its assets directory.
const (
	KubeAPIServer = "kube-apiserver"
	Etcd          = "etcd"
)

// Options controls where binaries come from. The zero value is valid.
type Options struct {
	// AssetsDir, when set, must already hold both binaries (KUBEBUILDER_ASSETS).
	AssetsDir string
	// CacheDir is the root of the cache; default $XDG_CACHE_HOME/xbcheck/k8s.
	CacheDir string
	// Progress receives build progress lines; nil discards them.
	Progress io.Writer
	// GoCommand is the go tool used to build; default "go" from PATH.
	GoCommand string
	// Mode is --binaries: download the binaries the cache lacks, build
	// them, or download where the release sites answer and build the rest
	// (the default).
	Mode Mode
	// Sites are the release sites' base URLs; default the official ones.
	Sites Sites
	// ProbeTimeout bounds the one reachability probe of each release
	// site before downloading; default 3s.
	ProbeTimeout time.Duration

	// build builds one recipe into a folder; default [build]. Tests
	// replace it so they do not compile Kubernetes.
	build func(ctx context.Context, opts Options, r recipe, dir string) error
}

// Set is a located pair of binaries.
type Set struct {
	// Dir holds both binaries.
	Dir string
	// Source says where they came from: "KUBEBUILDER_ASSETS", "cache",
	// "downloaded", "built", or "downloaded and built".
	Source string
}

// Path returns the path of the named binary in the set.
func (s Set) Path(name string) string { return filepath.Join(s.Dir, subfolder(name), name) }

func (o *Options) defaults() error {
	if o.AssetsDir == "" {
		o.AssetsDir = os.Getenv("KUBEBUILDER_ASSETS")
	}
	if o.CacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("no cache directory: %w; set XDG_CACHE_HOME or KUBEBUILDER_ASSETS", err)
		}
		o.CacheDir = filepath.Join(base, "xbcheck", "k8s")
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.GoCommand == "" {
		o.GoCommand = "go"
	}
	if o.Mode == "" {
		o.Mode = ModeAuto
	}
	o.Sites.defaults()
	if o.ProbeTimeout == 0 {
		o.ProbeTimeout = 3 * time.Second
	}
	if o.build == nil {
		o.build = build
	}
	return nil
}

// CacheEntry is the directory of the cache that holds the pinned binaries
// for this OS and architecture.
func (o Options) CacheEntry() string {
	return filepath.Join(o.CacheDir, fmt.Sprintf("%s-%s-%s", strings.TrimPrefix(KubernetesVersion, "v"), runtime.GOOS, runtime.GOARCH))
}

// Ensure returns a directory holding both binaries, downloading or
// building whatever the cache lacks as opts.Mode says.
func Ensure(ctx context.Context, opts Options) (Set, error) {
	if err := opts.defaults(); err != nil {
		return Set{}, err
	}
	if opts.AssetsDir != "" {
		for _, name := range []string{KubeAPIServer, Etcd} {
			if !isExecutable(filepath.Join(opts.AssetsDir, name)) {
				return Set{}, fmt.Errorf("KUBEBUILDER_ASSETS=%s has no executable %s; unset it to let xbcheck build the binaries", opts.AssetsDir, name)
			}
		}
		fmt.Fprintf(opts.Progress, "kube-apiserver and etcd: from KUBEBUILDER_ASSETS=%s (nothing to download or build)\n", opts.AssetsDir)
		return Set{Dir: opts.AssetsDir, Source: "KUBEBUILDER_ASSETS"}, nil
	}
	source, err := provide(ctx, opts, "kube-apiserver "+KubernetesVersion+" and etcd "+EtcdVersion, controlPlaneRecipes())
	if err != nil {
		return Set{}, err
	}
	return Set{Dir: opts.CacheEntry(), Source: source}, nil
}

// Version runs the binary's version flag and returns its first line.
func Version(ctx context.Context, path string) (string, error) {
	out, err := exec.CommandContext(ctx, path, "--version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w: %s", path, err, strings.TrimSpace(string(out)))
	}
	first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return first, nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

var errNoGo = errors.New("the go command is needed to build kube-apiserver and etcd; install Go 1.26 or set KUBEBUILDER_ASSETS to a folder holding both")
