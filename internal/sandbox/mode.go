package sandbox

import "fmt"

// Mode says whether xbcheck runs inside the sandbox.
type Mode string

const (
	// ModeAuto uses the sandbox where namespaces are allowed and runs on
	// loopback only elsewhere.
	ModeAuto Mode = "auto"
	// ModeRequire fails when the sandbox cannot be built.
	ModeRequire Mode = "require"
	// ModeOff never builds the sandbox: loopback only.
	ModeOff Mode = "off"
)

// ParseMode reads auto, require or off; the empty string is auto.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case "":
		return ModeAuto, nil
	case ModeAuto, ModeRequire, ModeOff:
		return m, nil
	}
	return "", fmt.Errorf("sandbox mode %q is not one of auto, require, off", s)
}

// String returns the mode's name.
func (m Mode) String() string { return string(m) }

// Set parses s into m, so a *Mode is a command-line flag value (flag.Value,
// pflag.Value).
func (m *Mode) Set(s string) error {
	v, err := ParseMode(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Type names the flag's value type in help output.
func (*Mode) Type() string { return "auto|require|off" }
