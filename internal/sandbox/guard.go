package sandbox

import (
	"errors"
	"fmt"
	"net/netip"
)

// ErrUnavailable is wrapped by the error [Run] returns when the sandbox cannot
// be built here (another OS, namespaces refused, setup failed); the message
// says why. The caller then runs on loopback only.
var ErrUnavailable = errors.New("the network sandbox is unavailable")

// exitFailed is the exit code [Run] asks for when it reports an error itself.
const exitFailed = 1

// Guard decides whether this process may bind or dial a: always for
// 127.0.0.0/8 and ::1 (also in IPv4-mapped form), for any other address only
// when [Inside] says this process is in the sandbox it made. Outside, such an
// address may belong to a real network (169.254.169.254 is the metadata
// service of a cloud VM), so the answer is an error, never a warning.
func Guard(a netip.Addr) error {
	if !a.IsValid() {
		return errors.New("refusing to use an invalid IP address")
	}
	if a.Unmap().IsLoopback() {
		return nil
	}
	if err := Inside(); err != nil {
		return fmt.Errorf("refusing to use %s outside the xbcheck sandbox: %w; only 127.0.0.0/8 and ::1 may be used there", a, err)
	}
	return nil
}

// fallback turns a failure to build the sandbox into Run's answer: run on
// loopback only (auto), or stop with a one-line error (require).
func fallback(mode Mode, err error) (handled bool, exitCode int, _ error) {
	if mode == ModeRequire {
		return true, exitFailed, fmt.Errorf("%w; allow user and network namespaces, or use --sandbox=auto to run on loopback only", err)
	}
	return false, 0, err
}
