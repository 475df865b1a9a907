//go:build !linux

package sandbox

import (
	"fmt"
	"runtime"
)

// Run never builds a sandbox on this OS: see the Linux documentation of Run.
func Run(opts Options) (handled bool, exitCode int, err error) {
	if opts.Node != nil {
		return true, exitFailed, fmt.Errorf("%w: a node needs Linux namespaces and cgroups and this is %s", ErrUnavailable, runtime.GOOS)
	}
	if opts.mode() == ModeOff {
		return false, 0, nil
	}
	return fallback(opts.mode(), fmt.Errorf("%w: it needs Linux namespaces and this is %s", ErrUnavailable, runtime.GOOS))
}

// Inside always fails on this OS: there is no sandbox to be in.
func Inside() error {
	return fmt.Errorf("the sandbox needs Linux namespaces and this is %s", runtime.GOOS)
}

// HostPID fails on this OS: there is no node sandbox.
func HostPID() (int, error) { return 0, errNotNode }

// Child is always false on this OS: [Run] starts no child here.
func Child() bool { return false }
