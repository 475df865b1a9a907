package kind

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Options configures [Start]. Only Runtime is required.
type Options struct {
	// Runtime is kind (NewRuntime), or a fake in tests.
	Runtime Runtime
	// Name is the cluster to reuse when it exists, or to create under
	// this name when it does not; empty creates xbcheck-<random>.
	Name string
	// Config is a kind Cluster configuration (kind.x-k8s.io/v1alpha4)
	// for a cluster Start creates; empty is kind's default: one node.
	Config []byte
	// NodeImage is the node image of a cluster Start creates; empty is
	// kind's default.
	NodeImage string
	// Keep leaves a cluster Start created behind after Stop, with its
	// kubeconfig file.
	Keep bool
	// Setup runs once the cluster answers, before Images are loaded and
	// the install command runs (xbcheck installs the Gateway API CRDs
	// there, and loads an image it wrote while kind created the cluster,
	// with LoadImages). An error stops the start.
	Setup func(ctx context.Context, c *Cluster) error
	// Images are image tarballs (`docker save` form) loaded into every
	// node.
	Images []string
	// InstallCmd, when set, is run by /bin/sh -c once the cluster is set
	// up and the images loaded, with KUBECONFIG set: it installs the
	// implementation under test. Its output goes to LogDir/install.log.
	InstallCmd string
	// LogDir receives install.log; empty: a temporary folder, removed by
	// Stop.
	LogDir string
	// Wait bounds how long kind waits for the control plane to be Ready;
	// default 5 minutes.
	Wait time.Duration
	// Progress receives a line per step; nil discards them.
	Progress io.Writer
}

// Cluster is a kind cluster xbcheck created or reuses.
type Cluster struct {
	// Name is the kind cluster's name; Runtime the container runtime
	// its nodes run in (docker or podman).
	Name, Runtime string
	// Created is true when Start created the cluster: Stop deletes it
	// (unless Keep), and xbcheck may change it cluster-wide. A reused
	// cluster is never deleted.
	Created bool
	// Kept is true when Stop leaves a created cluster behind (Keep).
	Kept bool
	// Kubeconfig is a kubeconfig file of the cluster's own, reachable
	// from where xbcheck runs (never the user's ~/.kube/config).
	Kubeconfig string
	Config     *rest.Config
	// Images are the tarballs loaded into the nodes.
	Images []string
	// InstallLog is the install command's output, when one ran.
	InstallLog string
	// CreateTime, LoadTime and InstallTime are how long creating the
	// cluster (zero when reused), loading the images and the install
	// command took; DeleteTime is set by Stop.
	CreateTime, LoadTime, InstallTime, DeleteTime time.Duration

	rt       Runtime
	dir      string
	progress io.Writer
	stopped  bool
}

// Start creates the cluster the options name, or reuses it, then runs
// Setup, loads the images and runs the install command. On any error, and
// when ctx ends first (Ctrl-C), a cluster it created is deleted again
// before it returns, whatever Keep says, and its files are removed.
func Start(ctx context.Context, opts Options) (_ *Cluster, err error) {
	if opts.Runtime == nil {
		return nil, errors.New("kind.Start: no Runtime")
	}
	if opts.Progress == nil {
		opts.Progress = io.Discard
	}
	if opts.Wait == 0 {
		opts.Wait = 5 * time.Minute
	}
	rt := opts.Runtime
	c := &Cluster{Name: opts.Name, Runtime: rt.Name(), rt: rt, progress: opts.Progress}
	if c.Name == "" {
		c.Name = "xbcheck-" + randomID()
	}
	if c.dir, err = os.MkdirTemp("", "xbcheck-kind-"); err != nil {
		return nil, err
	}
	c.Kubeconfig = filepath.Join(c.dir, "kubeconfig")
	defer func() {
		if err != nil {
			c.Kept = false
			err = errors.Join(err, c.Stop())
		}
	}()
	names, err := rt.List()
	if err != nil {
		return nil, fmt.Errorf("list kind clusters on %s: %w", rt.Name(), err)
	}
	if slices.Contains(names, c.Name) {
		fmt.Fprintf(opts.Progress, "kind: reusing cluster %s (%s); it stays after the run\n", c.Name, c.Runtime)
		kc, err := rt.Kubeconfig(c.Name)
		if err != nil {
			return nil, fmt.Errorf("read the kubeconfig of kind cluster %s: %w", c.Name, err)
		}
		if err := os.WriteFile(c.Kubeconfig, []byte(kc), 0o600); err != nil {
			return nil, err
		}
	} else {
		if err := c.create(ctx, opts); err != nil {
			return nil, err
		}
	}
	c.Kept = c.Created && opts.Keep
	if c.Config, err = clientcmd.BuildConfigFromFlags("", c.Kubeconfig); err != nil {
		return nil, fmt.Errorf("the kubeconfig of kind cluster %s: %w", c.Name, err)
	}
	if opts.Setup != nil {
		if err := opts.Setup(ctx, c); err != nil {
			return nil, err
		}
	}
	if err := c.LoadImages(ctx, opts.Images...); err != nil {
		return nil, err
	}
	if opts.InstallCmd != "" {
		logDir := opts.LogDir
		if logDir == "" {
			logDir = c.dir
		}
		c.InstallLog = filepath.Join(logDir, "install.log")
		fmt.Fprintf(opts.Progress, "kind: running the install command (log: %s)\n", c.InstallLog)
		begin := time.Now()
		if err := RunInstall(ctx, opts.InstallCmd, c.Kubeconfig, c.InstallLog); err != nil {
			return nil, err
		}
		c.InstallTime = time.Since(begin)
		fmt.Fprintf(opts.Progress, "kind: install command done in %s\n", round(c.InstallTime))
	}
	return c, ctx.Err()
}

// create creates the cluster, and deletes it again when ctx ends first:
// kind's Create cannot be interrupted, so its nodes are deleted under it,
// which makes it fail soon, and once more after it returned, in case it
// made a node after the first deletion.
func (c *Cluster) create(ctx context.Context, opts Options) error {
	fmt.Fprintf(opts.Progress, "kind: creating cluster %s on %s\n", c.Name, c.Runtime)
	begin := time.Now()
	done := make(chan error, 1)
	go func() { done <- c.rt.Create(c.Name, opts.Config, opts.NodeImage, c.Kubeconfig, opts.Wait) }()
	select {
	case err := <-done:
		if err != nil {
			// kind deletes the nodes of a failed create itself; Stop
			// makes sure.
			c.Created = true
			return fmt.Errorf("create kind cluster %s on %s: %w", c.Name, c.Runtime, err)
		}
	case <-ctx.Done():
		c.Created = true
		fmt.Fprintf(opts.Progress, "kind: interrupted while creating cluster %s; deleting it\n", c.Name)
		first := c.rt.Delete(c.Name, c.Kubeconfig)
		<-done
		return errors.Join(ctx.Err(), first)
	}
	c.Created = true
	c.CreateTime = time.Since(begin)
	fmt.Fprintf(opts.Progress, "kind: cluster %s created in %s\n", c.Name, round(c.CreateTime))
	return ctx.Err()
}

// LoadImages loads image tarballs (`docker save` form) into every node,
// for pods to run with imagePullPolicy Never or IfNotPresent.
func (c *Cluster) LoadImages(ctx context.Context, tarballs ...string) error {
	begin := time.Now()
	for _, img := range tarballs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := c.rt.LoadImage(c.Name, img); err != nil {
			return fmt.Errorf("load image %s into kind cluster %s: %w", filepath.Base(img), c.Name, err)
		}
		c.Images = append(c.Images, img)
	}
	if len(tarballs) > 0 {
		took := time.Since(begin)
		c.LoadTime += took
		fmt.Fprintf(c.progress, "kind: %d image(s) loaded into cluster %s in %s\n", len(tarballs), c.Name, round(took))
	}
	return nil
}

// Stop deletes a cluster Start created, unless it is kept, and removes
// xbcheck's files of it; a reused cluster stays as it was. A kept
// cluster's kubeconfig stays too, and Stop says where. It is safe to call
// more than once.
func (c *Cluster) Stop() error {
	if c == nil || c.stopped {
		return nil
	}
	c.stopped = true
	var errs []error
	switch {
	case c.Created && c.Kept:
		fmt.Fprintf(c.progress, "kind: cluster %s kept (--keep-cluster): KUBECONFIG=%s; delete it with `kind delete cluster --name %s`\n", c.Name, c.Kubeconfig, c.Name)
		return nil
	case c.Created:
		begin := time.Now()
		if err := c.rt.Delete(c.Name, c.Kubeconfig); err != nil {
			errs = append(errs, fmt.Errorf("delete kind cluster %s: %w; delete it with `kind delete cluster --name %s`", c.Name, err, c.Name))
		} else {
			c.DeleteTime = time.Since(begin)
			fmt.Fprintf(c.progress, "kind: cluster %s deleted in %s\n", c.Name, round(c.DeleteTime))
		}
	}
	if c.InstallLog != "" && filepath.Dir(c.InstallLog) == c.dir {
		c.InstallLog = "" // it goes with the folder
	}
	errs = append(errs, os.RemoveAll(c.dir))
	return errors.Join(errs...)
}

func randomID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func round(d time.Duration) time.Duration { return d.Round(10 * time.Millisecond) }
