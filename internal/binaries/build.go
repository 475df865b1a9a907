package binaries

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
)

// recipe says how to build one binary from the module proxy.
type recipe struct {
	binary string
	// dir is the subfolder of the cache entry the binary goes to; empty
	// for the Kubernetes binaries and etcd.
	dir string
	// module and version are what the wrapper module requires; a recipe
	// with source requires nothing and builds that main.go instead.
	module  string
	version string
	source  []byte
	pkg     string
	ldflags string
	tags    string
	// env is added to the go command's environment (CGO_ENABLED).
	env []string
	// replaces returns the wrapper module's replace lines; upstreamGoMod
	// reads the go.mod of the required module when a recipe needs it.
	replaces func(upstreamGoMod func() ([]byte, error)) ([]string, error)
}

// controlPlaneRecipes builds what [Ensure] provides: etcd, then kube-apiserver.
func controlPlaneRecipes() []recipe {
	return []recipe{
		{
			binary:  Etcd,
			module:  "go.etcd.io/etcd/server/v3",
			version: EtcdVersion,
			pkg:     "go.etcd.io/etcd/server/v3",
			// etcd's own go.mod points its sibling modules at local folders.
			replaces: func(func() ([]byte, error)) ([]string, error) {
				var out []string
				for _, m := range []string{"api/v3", "client/pkg/v3", "client/v3", "pkg/v3"} {
					out = append(out, fmt.Sprintf("go.etcd.io/etcd/%s => go.etcd.io/etcd/%s %s", m, m, EtcdVersion))
				}
				return out, nil
			},
		},
		kubernetesRecipe(KubeAPIServer),
	}
}

// kubernetesRecipe builds cmd/<binary> of k8s.io/kubernetes, whose go.mod
// points every staging module at a local folder.
func kubernetesRecipe(binary string) recipe {
	return recipe{
		binary:  binary,
		module:  "k8s.io/kubernetes",
		version: KubernetesVersion,
		pkg:     "k8s.io/kubernetes/cmd/" + binary,
		ldflags: "-X k8s.io/component-base/version.gitVersion=" + KubernetesVersion,
		replaces: func(upstreamGoMod func() ([]byte, error)) ([]string, error) {
			goMod, err := upstreamGoMod()
			if err != nil {
				return nil, err
			}
			return stagingReplaces(goMod)
		},
	}
}

// stagingReplaces maps every `k8s.io/X => ./staging/...` line of
// k8s.io/kubernetes' go.mod to the published k8s.io/X at the matching v0 tag.
func stagingReplaces(goMod []byte) ([]string, error) {
	f, err := modfile.Parse("go.mod", goMod, nil)
	if err != nil {
		return nil, fmt.Errorf("parse k8s.io/kubernetes go.mod: %w", err)
	}
	staging := "v0" + strings.TrimPrefix(KubernetesVersion, "v1")
	var out []string
	for _, r := range f.Replace {
		if strings.HasPrefix(r.New.Path, "./staging/") {
			out = append(out, fmt.Sprintf("%s => %s %s", r.Old.Path, r.Old.Path, staging))
		}
	}
	if len(out) == 0 {
		return nil, errors.New("k8s.io/kubernetes go.mod has no ./staging replace lines; the build recipe needs updating")
	}
	return out, nil
}

// wrapperGoMod renders the throw-away module that builds r.
func wrapperGoMod(r recipe, replaces []string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "module xbcheck.local/build/%s\n\ngo 1.26.0\n", r.binary)
	if r.module != "" {
		fmt.Fprintf(&b, "\nrequire %s %s\n", r.module, r.version)
	}
	if len(replaces) > 0 {
		b.WriteString("\nreplace (\n")
		for _, l := range replaces {
			fmt.Fprintf(&b, "\t%s\n", l)
		}
		b.WriteString(")\n")
	}
	return b.Bytes()
}

// build compiles r and moves the result into dir atomically.
func build(ctx context.Context, opts Options, r recipe, dir string) error {
	if _, err := exec.LookPath(opts.GoCommand); err != nil {
		return errNoGo
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create cache folder: %w", err)
	}
	work, err := os.MkdirTemp(dir, ".build-"+r.binary+"-")
	if err != nil {
		return fmt.Errorf("create build folder: %w", err)
	}
	if err := os.Mkdir(filepath.Join(work, ".gotmp"), 0o755); err != nil {
		return fmt.Errorf("create build folder: %w", err)
	}
	defer os.RemoveAll(work)

	start := time.Now()
	from := "the Go module proxy"
	if r.source != nil {
		from = "xbcheck's own source"
	}
	fmt.Fprintf(opts.Progress, "building %s %s from %s (one-off, cached in %s)\n", r.binary, r.version, from, dir)
	g := goTool{cmd: opts.GoCommand, dir: work, env: r.env}
	var replaces []string
	if r.replaces != nil {
		replaces, err = r.replaces(func() ([]byte, error) {
			modPath, err := g.downloadGoMod(ctx, r.module+"@"+r.version)
			if err != nil {
				return nil, err
			}
			return os.ReadFile(modPath)
		})
		if err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(work, "go.mod"), wrapperGoMod(r, replaces), 0o644); err != nil {
		return err
	}
	if r.source != nil {
		if err := os.WriteFile(filepath.Join(work, "main.go"), r.source, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(opts.Progress, "  %s: resolving modules\n", r.binary)
	total, err := g.countDeps(ctx, r.pkg)
	if err != nil {
		return err
	}
	out := filepath.Join(work, r.binary)
	p := &progress{w: opts.Progress, what: r.binary, total: total, start: start, every: 10 * time.Second}
	args := []string{"build", "-v", "-trimpath", "-o", out}
	if r.ldflags != "" {
		args = append(args, "-ldflags", r.ldflags)
	}
	if r.tags != "" {
		args = append(args, "-tags", r.tags)
	}
	if err := g.run(ctx, p, append(args, r.pkg)...); err != nil {
		return fmt.Errorf("build %s %s: %w", r.binary, r.version, err)
	}
	if err := os.Chmod(out, 0o755); err != nil {
		return err
	}
	// Rename within one file system is atomic: a reader sees no binary or a whole one.
	if err := os.Rename(out, filepath.Join(dir, r.binary)); err != nil {
		return fmt.Errorf("install %s into the cache: %w", r.binary, err)
	}
	fmt.Fprintf(opts.Progress, "built %s %s in %s\n", r.binary, r.version, time.Since(start).Round(time.Second))
	return nil
}

// goTool runs the go command in a wrapper module folder.
type goTool struct {
	cmd string
	dir string
	env []string
}

func (g goTool) command(ctx context.Context, args ...string) *exec.Cmd {
	c := exec.CommandContext(ctx, g.cmd, args...)
	c.Dir = g.dir
	// GOTMPDIR inside the build folder: removing that folder also removes
	// whatever go's compilers were writing when a build was interrupted.
	c.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=-mod=mod", "GOTMPDIR="+filepath.Join(g.dir, ".gotmp"))
	c.Env = append(c.Env, g.env...)
	// Interrupt rather than kill, so go cleans up its own temporary folders.
	c.Cancel = func() error { return c.Process.Signal(os.Interrupt) }
	c.WaitDelay = 15 * time.Second
	return c
}

func (g goTool) downloadGoMod(ctx context.Context, modVersion string) (string, error) {
	out, err := g.command(ctx, "mod", "download", "-json", modVersion).Output()
	var info struct{ GoMod, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return "", fmt.Errorf("download %s: %s", modVersion, info.Error)
	}
	if err != nil {
		return "", fmt.Errorf("download %s: %w", modVersion, exitDetail(err))
	}
	return info.GoMod, nil
}

func (g goTool) countDeps(ctx context.Context, pkg string) (int, error) {
	out, err := g.command(ctx, "list", "-deps", pkg).Output()
	if err != nil {
		return 0, fmt.Errorf("resolve %s: %w", pkg, exitDetail(err))
	}
	return bytes.Count(out, []byte("\n")), nil
}

// run streams `go build -v` output (one package name per line) into p.
func (g goTool) run(ctx context.Context, p *progress, args ...string) error {
	c := g.command(ctx, args...)
	pr, pw := io.Pipe()
	c.Stdout, c.Stderr = pw, pw
	var tail lastLines
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			tail.add(sc.Text())
			p.step()
		}
	}()
	err := c.Run()
	pw.Close()
	<-done
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("%w; last output:\n%s", err, tail.String())
	}
	return nil
}

func exitDetail(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}

// progress prints "n/total packages" lines at most every `every`.
type progress struct {
	w     io.Writer
	what  string
	total int
	n     int
	start time.Time
	last  time.Time
	every time.Duration
}

func (p *progress) step() {
	p.n++
	now := time.Now()
	if now.Sub(p.last) < p.every {
		return
	}
	p.last = now
	pct := 0
	if p.total > 0 {
		pct = min(100, 100*p.n/p.total)
	}
	fmt.Fprintf(p.w, "  %s: compiled %d of at most %d packages (%d%%), %s elapsed\n", p.what, p.n, p.total, pct, now.Sub(p.start).Round(time.Second))
}

// lastLines keeps the last few lines of build output for error messages.
type lastLines struct{ lines []string }

func (l *lastLines) add(s string) {
	l.lines = append(l.lines, s)
	if len(l.lines) > 20 {
		l.lines = l.lines[1:]
	}
}

func (l *lastLines) String() string { return strings.Join(l.lines, "\n") }
