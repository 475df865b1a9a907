package sandbox

// Options configures [Run].
type Options struct {
	// Mode is auto when empty.
	Mode Mode
	// Node, when set, builds the sandbox a Kubernetes node needs instead
	// (see the package documentation); Mode is then always require.
	Node *NodeOptions
}

func (o Options) mode() Mode {
	if o.Mode == "" {
		return ModeAuto
	}
	return o.Mode
}
