package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// exitSetupFailed ends a child whose setup failed; its parent has been told
// why on the readiness pipe and reports it.
const exitSetupFailed = 125

// Run puts this program inside the sandbox. Call it early in main, before
// anything binds or dials, and act on its answer:
//
//   - handled: this process's work is done; print err if not nil and exit with
//     exitCode. In the parent that is the child's exit code, after the child
//     ran the whole program inside the sandbox.
//   - not handled, err nil: carry on; [Inside] says whether this is the
//     sandbox (the re-executed child, or a process started inside it) or
//     loopback only (mode off).
//   - not handled, err wraps [ErrUnavailable] (mode auto): carry on on
//     loopback only and print err as the reason.
//
// The parent re-executes /proc/self/exe with the same arguments, standard
// streams and environment plus a marker, in new user, network and mount
// namespaces; it forwards SIGINT and SIGTERM to the child, and the child gets
// SIGTERM if the parent dies. The re-executed child's Run sets the sandbox up
// (see the package documentation) before it returns.
func Run(opts Options) (handled bool, exitCode int, err error) {
	m, marked, err := readMarker()
	if err != nil {
		return true, exitFailed, err
	}
	if marked && os.Getenv(sandboxNetnsEnv) == "" {
		if facts, ok, err := readNodeFacts(); ok || err != nil {
			if err != nil {
				return true, exitFailed, err
			}
			return runNodeInit(m, facts)
		}
		return runChild(m)
	}
	mode := opts.mode()
	if opts.Node != nil {
		mode = ModeRequire
	}
	if mode == ModeOff || (marked && Inside() == nil) {
		// Off, or started by a program already inside the sandbox: a
		// nested sandbox would cut it off from the harness.
		return false, 0, nil
	}
	if opts.Node != nil {
		r, err := reexecNode(*opts.Node)
		if err != nil {
			return true, exitFailed, err
		}
		return true, r.exitCode, nil
	}
	r, err := reexec()
	if err != nil {
		if errors.Is(err, ErrUnavailable) {
			return fallback(mode, err)
		}
		return true, exitFailed, err
	}
	return true, r.exitCode, nil
}

// runChild sets the sandbox up and reports the outcome to the parent.
func runChild(m marker) (handled bool, exitCode int, _ error) {
	unix.CloseOnExec(m.readyFD)
	ready := os.NewFile(uintptr(m.readyFD), "sandbox-ready")
	defer ready.Close()
	if err := setup(m); err != nil {
		// One line, read by the parent, which falls back or fails.
		if _, werr := fmt.Fprintf(ready, "failed %s\n", strings.ReplaceAll(err.Error(), "\n", " ")); werr != nil {
			return true, exitFailed, fmt.Errorf("setting up the sandbox: %w", err)
		}
		return true, exitSetupFailed, nil
	}
	fmt.Fprintln(ready, "ready")
	return false, 0, nil
}

// reexecResult is the outcome of a sandboxed child.
type reexecResult struct {
	exitCode int
	// ready is the time from starting the child to its report that the
	// sandbox is set up.
	ready time.Duration
}

func reexec() (reexecResult, error) {
	outsideNet, err := currentNS("net")
	if err != nil {
		return reexecResult{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	outsideMnt, err := currentNS("mnt")
	if err != nil {
		return reexecResult{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	readR, readW, err := os.Pipe()
	if err != nil {
		return reexecResult{}, err
	}
	defer readR.Close()

	// The child's parent-death signal belongs to the thread that started
	// it: keep that thread until the child is gone.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)

	env := childEnv(marker{outsideNet: outsideNet, outsideMnt: outsideMnt, readyFD: readyFD})
	start := time.Now()
	root := os.Geteuid() == 0
	cmd, err := startChild(env, readW, root)
	if err != nil && root {
		// Root whose user namespace may not map every ID (a container
		// without CAP_SETUID): map root alone, as for any user.
		cmd, err = startChild(env, readW, false)
	}
	readW.Close()
	if err != nil {
		return reexecResult{}, fmt.Errorf("%w: the kernel refused new user, network and mount namespaces (%v)", ErrUnavailable, err)
	}
	return await(cmd, readR, signals, start)
}

// await forwards signals to a started child, reads its readiness report
// and waits for its end.
func await(cmd *exec.Cmd, readR *os.File, signals <-chan os.Signal, start time.Time) (reexecResult, error) {
	done := make(chan struct{})
	defer close(done)
	go forward(cmd.Process, signals, done)

	var r reexecResult
	line, _ := bufio.NewReader(readR).ReadString('\n')
	line = strings.TrimSuffix(line, "\n")
	switch {
	case line == "ready":
		r.ready = time.Since(start)
	case strings.HasPrefix(line, "failed "):
		_ = cmd.Wait()
		return r, fmt.Errorf("%w: %s", ErrUnavailable, strings.TrimPrefix(line, "failed "))
	}
	// No word at all: the child ended or closed the pipe before setting
	// up; its exit code says how it went.
	var err error
	r.exitCode, err = exitCode(cmd.Wait())
	return r, err
}

func startChild(env []string, ready *os.File, mapAllIDs bool) (*exec.Cmd, error) {
	uids, gids, err := idMaps(mapAllIDs)
	if err != nil {
		return nil, err
	}
	cmd := selfCommand(env, &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET | syscall.CLONE_NEWNS,
		UidMappings: uids,
		GidMappings: gids,
		// Rootless mapping needs setgroups denied; with every ID
		// mapped, supplementary groups keep working.
		GidMappingsEnableSetgroups: mapAllIDs,
		Pdeathsig:                  syscall.SIGTERM,
	})
	cmd.ExtraFiles = []*os.File{ready}
	return cmd, cmd.Start()
}

// selfCommand is this very program run again with this process's arguments and
// standard streams, env as its environment and attr as how it is cloned.
func selfCommand(env []string, attr *syscall.SysProcAttr) *exec.Cmd {
	return &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        os.Args,
		Env:         env,
		Stdin:       os.Stdin,
		Stdout:      os.Stdout,
		Stderr:      os.Stderr,
		SysProcAttr: attr,
	}
}

// idMaps maps this user to root inside the sandbox. With mapAll (root only)
// it maps every ID this user namespace knows to itself, so that root inside
// may still write files owned by other users, as it could outside.
func idMaps(mapAll bool) (uids, gids []syscall.SysProcIDMap, err error) {
	if !mapAll {
		return []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}},
			[]syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}, nil
	}
	if uids, err = identityMap("/proc/self/uid_map"); err != nil {
		return nil, nil, err
	}
	if gids, err = identityMap("/proc/self/gid_map"); err != nil {
		return nil, nil, err
	}
	return uids, gids, nil
}

// identityMap maps each ID range of this user namespace (the first column
// of its uid_map or gid_map) to itself.
func identityMap(path string) ([]syscall.SysProcIDMap, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []syscall.SysProcIDMap
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("%s: unexpected line %q", path, line)
		}
		first, err1 := strconv.ParseUint(f[0], 10, 32)
		size, err2 := strconv.ParseUint(f[2], 10, 32)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		id := int(min(first, math.MaxInt))
		out = append(out, syscall.SysProcIDMap{ContainerID: id, HostID: id, Size: int(min(size, math.MaxInt))})
	}
	return out, nil
}

// forward passes the signals the parent receives on to the child until done.
func forward(p *os.Process, signals <-chan os.Signal, done <-chan struct{}) {
	for {
		select {
		case s := <-signals:
			_ = p.Signal(s)
		case <-done:
			return
		}
	}
}

// exitCode turns the child's end into an exit code: its own, or 128+N when
// signal N killed it, as a shell reports it.
func exitCode(waitErr error) (int, error) {
	if waitErr == nil {
		return 0, nil
	}
	var exit *exec.ExitError
	if !errors.As(waitErr, &exit) {
		return exitFailed, fmt.Errorf("waiting for the sandboxed xbcheck: %w", waitErr)
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return exit.ExitCode(), nil
}
