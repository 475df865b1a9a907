package sandbox

// Options configures [Run].
type Options struct {
	// Mode is auto when empty.
	Mode Mode
}

func (o Options) mode() Mode {
	if o.Mode == "" {
		return ModeAuto
	}
	return o.Mode
}
