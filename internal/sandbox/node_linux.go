package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// exitInterrupted ends a node sandbox interrupted before its program
// started, as a shell reports SIGINT.
const exitInterrupted = 130

// reexecNode runs this program as real root in new network, mount and PID
// namespaces (no user namespace: runc cannot mount devpts in one that maps
// root alone), then removes what it made for the sandbox outside: the
// work folder, the private folders it created, the cgroup.
func reexecNode(opts NodeOptions) (r reexecResult, err error) {
	if os.Geteuid() != 0 {
		return r, fmt.Errorf("%w: a node runs containers and needs real root; run xbcheck as root (sudo)", ErrUnavailable)
	}
	outsideNet, err := currentNS("net")
	if err != nil {
		return r, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	outsideMnt, err := currentNS("mnt")
	if err != nil {
		return r, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	// Signals first: from here on none is lost, whatever is made.
	signals := make(chan os.Signal, 4)
	// SIGHUP too: a closed terminal must not leave the node running.
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(signals)
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-opts.Done:
			signals <- syscall.SIGTERM
		case <-stopped:
		}
	}()
	facts, undo, err := makeNodeFacts(opts)
	defer func() { err = errors.Join(err, undo()) }()
	if err != nil {
		return r, err
	}
	select {
	case <-signals:
		r.exitCode = exitInterrupted
		return r, nil
	default:
	}
	readR, readW, err := os.Pipe()
	if err != nil {
		return r, err
	}
	defer readR.Close()

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	env := append(childEnv(marker{outsideNet: outsideNet, outsideMnt: outsideMnt, readyFD: readyFD}), facts.env())
	start := time.Now()
	cmd := selfCommand(env, &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID,
		Pdeathsig:  syscall.SIGTERM,
	})
	cmd.ExtraFiles = []*os.File{readW}
	err = cmd.Start()
	readW.Close()
	if err != nil {
		return r, fmt.Errorf("%w: the kernel refused new network, mount and PID namespaces (%v); a node needs them", ErrUnavailable, err)
	}
	if err := writeHostPID(facts.Workdir, cmd.Process.Pid); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return r, err
	}
	return await(cmd, readR, signals, start)
}

// makeNodeFacts creates, outside, what the node sandbox uses: its work
// folder, the private folders that are missing, and its cgroup. undo
// removes them; call it when the sandbox has ended (also on error).
func makeNodeFacts(opts NodeOptions) (f nodeFacts, undo func() error, err error) {
	var undos []func() error
	undo = func() error {
		var errs []error
		for i := len(undos) - 1; i >= 0; i-- {
			errs = append(errs, undos[i]())
		}
		return errors.Join(errs...)
	}
	f.Workdir, err = os.MkdirTemp("", "xbcheck-node-")
	if err != nil {
		return f, undo, err
	}
	undos = append(undos, func() error { return os.RemoveAll(f.Workdir) })
	for _, d := range opts.PrivateDirs {
		real, created, err := ensureDir(d)
		if err != nil {
			return f, undo, fmt.Errorf("%w: private folder %s: %v", ErrUnavailable, d, err)
		}
		f.PrivateDirs = append(f.PrivateDirs, real)
		if created != "" {
			undos = append(undos, func() error { return removeEmptyUpTo(real, created) })
		}
	}
	f.Cgroup = "/" + filepath.Base(f.Workdir)
	dirs, err := makeCgroup(f.Cgroup)
	undos = append(undos, func() error { return removeCgroup(dirs) })
	if err != nil {
		return f, undo, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return f, undo, nil
}

// ensureDir resolves d's symbolic links (/var/run is /run) and creates it
// when missing; created is the topmost folder it had to create, or "".
func ensureDir(d string) (real, created string, err error) {
	if !filepath.IsAbs(d) {
		return "", "", errors.New("not an absolute path")
	}
	existing := d
	for {
		if _, err := os.Stat(existing); err == nil {
			break
		}
		existing = filepath.Dir(existing)
	}
	base, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return "", "", err
	}
	rest, _ := filepath.Rel(existing, d)
	real = filepath.Join(base, rest)
	if rest != "." {
		created = filepath.Join(base, strings.Split(rest, string(filepath.Separator))[0])
		if err := os.MkdirAll(real, 0o755); err != nil {
			return "", "", err
		}
	}
	return real, created, nil
}

// removeEmptyUpTo removes the folders from leaf up to top, which the
// sandbox created empty and whose content lived in a tmpfs inside it.
func removeEmptyUpTo(leaf, top string) error {
	for d := leaf; ; d = filepath.Dir(d) {
		if err := os.Remove(d); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove the sandbox's folder %s: %w", d, err)
		}
		if d == top || d == "/" {
			return nil
		}
	}
}

// cgroupMounts lists the mount points of every cgroup hierarchy.
func cgroupMounts() ([]string, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		// mountinfo: ID parent major:minor root mountpoint options... - fstype source superoptions
		pre, post, ok := strings.Cut(line, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 3 || (g[0] != "cgroup" && g[0] != "cgroup2") || f[3] != "/" {
			continue
		}
		// One hierarchy mounted twice shows the same super options.
		if key := g[0] + " " + g[2]; !seen[key] {
			seen[key] = true
			out = append(out, f[4])
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no cgroup file system is mounted; a node needs cgroups (mount them under /sys/fs/cgroup)")
	}
	return out, nil
}

// makeCgroup creates the cgroup name in every hierarchy and returns the
// folders it made.
func makeCgroup(name string) ([]string, error) {
	mounts, err := cgroupMounts()
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, m := range mounts {
		d := filepath.Join(m, name)
		if err := os.Mkdir(d, 0o755); err != nil {
			return dirs, fmt.Errorf("create cgroup %s: %w", d, err)
		}
		dirs = append(dirs, d)
		// A new cpuset has no CPUs or memory nodes until given its parent's.
		for _, file := range []string{"cpuset.cpus", "cpuset.mems"} {
			if v, err := os.ReadFile(filepath.Join(m, file)); err == nil {
				if err := os.WriteFile(filepath.Join(d, file), v, 0o644); err != nil {
					return dirs, fmt.Errorf("set up cgroup %s: %w", d, err)
				}
			}
		}
	}
	return dirs, nil
}

// joinCgroup moves this process into name in every hierarchy.
func joinCgroup(name string) error {
	mounts, err := cgroupMounts()
	if err != nil {
		return err
	}
	for _, m := range mounts {
		if err := os.WriteFile(filepath.Join(m, name, "cgroup.procs"), []byte("0"), 0o644); err != nil {
			return fmt.Errorf("join cgroup %s: %w", filepath.Join(m, name), err)
		}
	}
	return nil
}

// removeCgroup removes the sandbox's cgroups, deepest first. Their
// processes are gone, but the kernel may need a moment to release them.
func removeCgroup(dirs []string) error {
	var errs []error
	for _, d := range dirs {
		var sub []string
		_ = filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err == nil && e.IsDir() {
				sub = append(sub, p)
			}
			return nil
		})
		for i := len(sub) - 1; i >= 0; i-- {
			var err error
			for try := 0; try < 50; try++ {
				if err = unix.Rmdir(sub[i]); err == nil || errors.Is(err, unix.ENOENT) {
					err = nil
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("remove cgroup %s: %w", sub[i], err))
			}
		}
	}
	return errors.Join(errs...)
}

// runNodeInit is the node sandbox's first process (PID 1 of its PID
// namespace): it sets the sandbox up, runs the program again as its only
// child, reaps every orphan the node's daemons leave, and ends when the
// program ends. Its end ends every process left in the namespace.
func runNodeInit(m marker, f nodeFacts) (handled bool, exitCode int, _ error) {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	unix.CloseOnExec(m.readyFD)
	ready := os.NewFile(uintptr(m.readyFD), "sandbox-ready")
	if err := setupNode(m, f); err != nil {
		_, werr := fmt.Fprintf(ready, "failed %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		ready.Close()
		if werr != nil {
			return true, exitFailed, fmt.Errorf("setting up the node sandbox: %w", err)
		}
		return true, exitSetupFailed, nil
	}
	fmt.Fprintln(ready, "ready")
	ready.Close()
	select {
	case s := <-signals:
		if s != syscall.SIGCHLD {
			return true, exitInterrupted, nil
		}
	default:
	}
	program := selfCommand(os.Environ(), nil)
	if err := program.Start(); err != nil {
		return true, exitFailed, fmt.Errorf("start xbcheck inside the node sandbox: %w", err)
	}
	for s := range signals {
		if s != syscall.SIGCHLD {
			_ = program.Process.Signal(s)
			continue
		}
		// Reap with wait4 rather than program.Wait: every child of this
		// process is the program or an orphan.
		for {
			var ws unix.WaitStatus
			pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
			if pid == program.Process.Pid {
				if ws.Signaled() {
					return true, 128 + int(ws.Signal()), nil
				}
				return true, ws.ExitStatus(), nil
			}
		}
	}
	return true, exitFailed, nil
}

// setupNode turns the fresh namespaces into the node sandbox: checks that
// they are new, makes mounts private, mounts a /proc of the new PID
// namespace, joins the cgroup, sets up lo and the name files as the
// default sandbox does, and mounts a tmpfs on each private folder.
func setupNode(m marker, f nodeFacts) error {
	netns, fresh, err := freshNamespaces(m)
	if err != nil {
		return err
	}
	if !fresh || os.Getpid() != 1 {
		return errors.New("the child is not in new network, mount and PID namespaces")
	}
	if err := isolated(false); err != nil {
		return err
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mounting /proc for the new PID namespace: %w", err)
	}
	if err := joinCgroup(f.Cgroup); err != nil {
		return err
	}
	if err := setupNetwork(); err != nil {
		return err
	}
	for _, d := range f.PrivateDirs {
		if err := unix.Mount("tmpfs", d, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "mode=0755"); err != nil {
			return fmt.Errorf("mounting a private tmpfs on %s: %w", d, err)
		}
	}
	return setupChecked(netns, "the node sandbox")
}

// hostPIDFile, in the work folder, holds the host's PID of the sandbox's
// first process: what `nsenter --target` needs to enter the sandbox.
const hostPIDFile = "sandbox.pid"

func writeHostPID(workdir string, pid int) error {
	tmp := filepath.Join(workdir, hostPIDFile+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(workdir, hostPIDFile))
}

// HostPID returns the PID, as the host sees it, of the node sandbox's
// first process, so that a person can enter its namespaces from outside
// (`nsenter --target PID --net`).
func HostPID() (int, error) {
	dir, err := Workdir()
	if err != nil {
		return 0, err
	}
	// The parent writes it right after starting the sandbox.
	for try := 0; ; try++ {
		b, err := os.ReadFile(filepath.Join(dir, hostPIDFile))
		if err == nil {
			return strconv.Atoi(string(b))
		}
		if try == 50 {
			return 0, fmt.Errorf("the node sandbox's PID is unknown: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
