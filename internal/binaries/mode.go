package binaries

import "fmt"

// Mode is --binaries: where binaries the cache lacks come from.
type Mode string

const (
	// ModeAuto downloads each binary from its official release site and
	// builds it from the Go module proxy where the site is unreachable,
	// refuses, or its checksum does not match (said in one line).
	ModeAuto Mode = "auto"
	// ModeDownload downloads only: a failed download is an error.
	ModeDownload Mode = "download"
	// ModeBuild builds from the Go module proxy only, as xbcheck always did.
	ModeBuild Mode = "build"
)

// ParseMode reads auto, download or build; the empty string is auto.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case "":
		return ModeAuto, nil
	case ModeAuto, ModeDownload, ModeBuild:
		return m, nil
	}
	return "", fmt.Errorf("give auto, download or build, not %q", s)
}

// String returns the mode's name.
func (m Mode) String() string {
	if m == "" {
		return string(ModeAuto)
	}
	return string(m)
}

// Set parses s into m, so a *Mode is a command-line flag value (pflag.Value).
func (m *Mode) Set(s string) error {
	v, err := ParseMode(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Type names the flag's value type in help output.
func (*Mode) Type() string { return "auto|download|build" }
