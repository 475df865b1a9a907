package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// NodeOptions asks [Run] for the sandbox a Kubernetes node needs; see the
// package documentation.
type NodeOptions struct {
	// PrivateDirs are folders the node's programs write to by default
	// (/run/containerd, /var/lib/kubelet, ...). Inside the sandbox each
	// gets an empty tmpfs of its own; outside, a folder that did not exist
	// is created for the sandbox's life and removed after it.
	PrivateDirs []string
	// Done, when closed, stops the sandbox as SIGTERM does (pass
	// ctx.Done() of a context that a SIGINT handler cancels, so a Ctrl-C
	// that came before Run is not lost). A sandbox whose Done is closed
	// before it started does not start.
	Done <-chan struct{}
}

// nodeEnv carries the node sandbox's facts from the parent to the child
// and everything started inside (JSON of nodeFacts).
const nodeEnv = "XBCHECK_SANDBOX_NODE"

// nodeFacts is what the parent made for a node sandbox.
type nodeFacts struct {
	Workdir     string   `json:"workdir"`
	Cgroup      string   `json:"cgroup"`
	PrivateDirs []string `json:"private"`
}

// readNodeFacts returns the node facts of this process's environment; ok
// is false in any other sandbox, or outside.
func readNodeFacts() (f nodeFacts, ok bool, err error) {
	v, ok := os.LookupEnv(nodeEnv)
	if !ok {
		return nodeFacts{}, false, nil
	}
	if err := json.Unmarshal([]byte(v), &f); err != nil || f.Workdir == "" || f.Cgroup == "" {
		return nodeFacts{}, true, fmt.Errorf("%s=%q is malformed; unset it and run xbcheck again", nodeEnv, v)
	}
	return f, true, nil
}

func (f nodeFacts) env() string {
	b, _ := json.Marshal(f)
	return nodeEnv + "=" + string(b)
}

// errNotNode is the answer of [Workdir] and [Cgroup] outside a node
// sandbox.
var errNotNode = errors.New("this process is not inside a node sandbox (sandbox.Options.Node)")

// Workdir returns the node sandbox's own folder. The parent created it on
// the host's file system before the sandbox started (so processes outside
// can read what is written there, such as a kubeconfig) and removes it,
// with everything in it, once the sandbox has ended.
func Workdir() (string, error) {
	f, ok, err := readNodeFacts()
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errNotNode
	}
	return f.Workdir, nil
}

// Cgroup returns the cgroup every process of the node sandbox runs in, as
// a path from the root of each cgroup hierarchy (for the kubelet's
// cgroupRoot, or to read the sandbox's memory use). The parent removes it
// once the sandbox has ended.
func Cgroup() (string, error) {
	f, ok, err := readNodeFacts()
	if err != nil {
		return "", err
	}
	if !ok {
		return "", errNotNode
	}
	return f.Cgroup, nil
}
