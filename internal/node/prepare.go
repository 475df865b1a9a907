package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/node/image"
	"github.com/xbcheck/xbcheck/internal/sandbox"
)

// Image is an image tarball and the name it is imported under.
type Image struct {
	// Ref is the image's full name, as pods name it (imagePullPolicy
	// Never or IfNotPresent: nothing is ever pulled).
	Ref string
	// Path is the tarball (`docker save` form).
	Path string
}

// Assets is everything a node runs, found or built by [Prepare].
type Assets struct {
	// ControlPlane holds kube-apiserver and etcd.
	ControlPlane binaries.Set
	// Node holds the other binaries (see binaries.NodeBinaries).
	Node binaries.Set
	// Pause and CoreDNS are the images the node itself needs.
	Pause, CoreDNS Image
}

// Prepare finds, downloads or builds every binary and image a node needs,
// as mode (--binaries) says, printing progress to progress: a one-off of
// several minutes on a new machine (cached like kube-apiserver), a few
// milliseconds afterwards. Call it before entering the sandbox, which has
// no network.
func Prepare(ctx context.Context, progress io.Writer, mode binaries.Mode) (Assets, error) {
	if progress == nil {
		progress = io.Discard
	}
	opts := binaries.Options{Progress: progress, Mode: mode}
	var a Assets
	var err error
	if a.ControlPlane, err = binaries.Ensure(ctx, opts); err != nil {
		return a, err
	}
	if a.Node, err = binaries.EnsureNode(ctx, opts); err != nil {
		return a, err
	}
	images := filepath.Join(a.Node.Dir, "images")
	if err := os.MkdirAll(images, 0o755); err != nil {
		return a, fmt.Errorf("create the image cache: %w", err)
	}
	a.Pause = Image{Ref: "xbcheck.local/pause:" + binaries.PauseVersion, Path: filepath.Join(images, "pause-"+binaries.PauseVersion+".tar")}
	a.CoreDNS = Image{Ref: "xbcheck.local/coredns:" + binaries.CoreDNSVersion, Path: filepath.Join(images, "coredns-"+binaries.CoreDNSVersion+".tar")}
	for _, img := range []struct {
		Image
		binary string
	}{{a.Pause, binaries.Pause}, {a.CoreDNS, binaries.CoreDNS}} {
		if _, err := os.Stat(img.Path); err == nil {
			continue
		}
		fmt.Fprintf(progress, "writing image %s\n", img.Ref)
		dest := "/" + img.binary
		err := image.Write(img.Path, img.Ref, image.Spec{
			Files:      []image.File{{Path: dest, Source: a.Node.Path(img.binary)}},
			Entrypoint: []string{dest},
		})
		if err != nil {
			return a, err
		}
	}
	return a, nil
}

// ExecutableImage writes, into dir, an image whose entrypoint is the
// executable at path (with its ELF interpreter and libraries when it is
// dynamically linked), named xbcheck.local/<name>:<digest of the
// executable>. The running xbcheck, or a test binary, becomes a pod this
// way.
func ExecutableImage(path, name, dir string) (Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return Image{}, err
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return Image{}, err
	}
	tag := hex.EncodeToString(h.Sum(nil))[:16]
	img := Image{Ref: "xbcheck.local/" + name + ":" + tag, Path: filepath.Join(dir, name+"-"+tag+".tar")}
	dest := "/" + name
	files, err := image.Executable(path, dest)
	if err != nil {
		return Image{}, err
	}
	return img, image.Write(img.Path, img.Ref, image.Spec{Files: files, Entrypoint: []string{dest}})
}

// SelfImage is ExecutableImage of the running program, written to the
// node sandbox's work folder: how xbcheck (or a test binary) inside the
// sandbox becomes a pod of its node.
func SelfImage(name string) (Image, error) {
	workdir, err := sandbox.Workdir()
	if err != nil {
		return Image{}, err
	}
	self, err := os.Executable()
	if err != nil {
		return Image{}, err
	}
	return ExecutableImage(self, name, workdir)
}

// debianPackage is a command (or, given as an absolute path, a file) the
// node needs from the host, and the Debian package that has it.
type debianPackage struct {
	command, pkg string
	// build is true for what only building the binaries needs.
	build bool
}

// debianPackages lists what no Go module provides. kube-proxy runs
// iptables-restore and iptables-save (C programs); building runc needs a C
// compiler, the C library's headers (its nsexec is C) and libseccomp's
// (runc applies seccomp profiles through it).
func debianPackages() []debianPackage {
	return []debianPackage{
		{command: "iptables", pkg: "iptables"},
		{command: "iptables-restore", pkg: "iptables"},
		{command: "iptables-save", pkg: "iptables"},
		{command: "gcc", pkg: "gcc", build: true},
		{command: "/usr/include/stdio.h", pkg: "libc6-dev", build: true},
		{command: "/usr/include/seccomp.h", pkg: "libseccomp-dev", build: true},
		{command: "pkg-config", pkg: "pkg-config", build: true},
	}
}

// MissingPackages names the Debian packages a node needs that this host
// lacks, those needed only to build the binaries included (`xbcheck setup
// --provider node` installs them).
func MissingPackages(build bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range debianPackages() {
		if d.build && !build || seen[d.pkg] {
			continue
		}
		if !present(d.command) {
			seen[d.pkg] = true
			out = append(out, d.pkg)
		}
	}
	return out
}

func present(command string) bool {
	if filepath.IsAbs(command) {
		_, err := os.Stat(command)
		return err == nil
	}
	_, err := exec.LookPath(command)
	return err == nil
}

// Check tells, in one line, what this host lacks to run a node, and what
// to do: Linux, real root, iptables, cgroups, overlayfs, bridge netfilter.
// It changes nothing.
func Check() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("a node needs Linux and this is %s; use the embedded control plane (the default provider) instead", runtime.GOOS)
	}
	if os.Geteuid() != 0 {
		return errors.New("a node runs containers and needs real root; run xbcheck as root (sudo)")
	}
	if ids, err := os.ReadFile("/proc/self/uid_map"); err == nil && strings.Join(strings.Fields(string(ids)), " ") != "0 0 4294967295" {
		return errors.New("xbcheck runs as root of a user namespace, and runc cannot mount devpts there; a node needs real root: run xbcheck as root outside user namespaces")
	}
	if missing := MissingPackages(false); len(missing) > 0 {
		return fmt.Errorf("a node needs the Debian packages %s; run `xbcheck setup --provider node` as root, or apt-get install them", strings.Join(missing, " "))
	}
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil || !strings.Contains(string(mounts), " cgroup") {
		return errors.New("no cgroup file system is mounted, and the kubelet and runc need one; mount cgroups under /sys/fs/cgroup")
	}
	fs, err := os.ReadFile("/proc/filesystems")
	if err != nil || !strings.Contains(string(fs), "\toverlay\n") {
		return errors.New("the kernel lacks overlayfs, which containerd's snapshotter needs; load it with `modprobe overlay`")
	}
	if _, err := os.Stat("/proc/sys/net/bridge/bridge-nf-call-iptables"); err != nil {
		return errors.New("the kernel does not pass bridged traffic to iptables, which Services between pods need; load it with `modprobe br_netfilter`")
	}
	return nil
}
