package sandbox

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// The parent tells the re-executed child, through markerEnv, which
// namespaces it started in and which descriptor to report readiness on.
// Setup then records the sandbox's own network namespace in sandboxNetnsEnv,
// so that processes started inside (an implementation under test, `xbcheck
// gateway`) can prove they are in it too.
const (
	markerEnv       = "XBCHECK_SANDBOX"
	sandboxNetnsEnv = "XBCHECK_SANDBOX_NETNS"
)

// readyFD is the child's descriptor for its readiness report: the first of
// exec.Cmd.ExtraFiles.
const readyFD = 3

// nsID identifies a namespace the way the kernel does: device and inode of
// its /proc/self/ns entry.
type nsID struct{ dev, ino uint64 }

func (n nsID) String() string { return fmt.Sprintf("%d:%d", n.dev, n.ino) }

func currentNS(kind string) (nsID, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/ns/"+kind, &st); err != nil {
		return nsID{}, fmt.Errorf("reading this process's %s namespace: %w", kind, err)
	}
	return nsID{dev: st.Dev, ino: st.Ino}, nil
}

// marker is what the parent recorded before re-executing.
type marker struct {
	outsideNet, outsideMnt nsID
	readyFD                int
}

func (m marker) String() string {
	return fmt.Sprintf("net=%s mnt=%s ready=%d", m.outsideNet, m.outsideMnt, m.readyFD)
}

// readMarker returns the marker of this process's environment; ok is false
// when there is none.
func readMarker() (m marker, ok bool, err error) {
	v, ok := os.LookupEnv(markerEnv)
	if !ok {
		return marker{}, false, nil
	}
	_, err = fmt.Sscanf(v, "net=%d:%d mnt=%d:%d ready=%d",
		&m.outsideNet.dev, &m.outsideNet.ino, &m.outsideMnt.dev, &m.outsideMnt.ino, &m.readyFD)
	if err != nil {
		return marker{}, true, fmt.Errorf("%s=%q is malformed; unset it and run xbcheck again", markerEnv, v)
	}
	return m, true, nil
}

// childEnv is this process's environment for the re-executed child: the
// marker replaces any inherited sandbox variables.
func childEnv(m marker) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, markerEnv+"=") || strings.HasPrefix(kv, sandboxNetnsEnv+"=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, markerEnv+"="+m.String())
}

// Child reports whether this process was started by [Run] as a sandbox's
// child (the parent's marker is in its environment). It says where the
// process came from, not that it is isolated: [Inside] proves that.
func Child() bool {
	_, ok, err := readMarker()
	return ok && err == nil
}
