package sandbox

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"": ModeAuto, "auto": ModeAuto, "require": ModeRequire, "off": ModeOff} {
		if got, err := ParseMode(in); got != want || err != nil {
			t.Errorf("ParseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"on", "Auto", "required", " off"} {
		if _, err := ParseMode(in); err == nil || !strings.Contains(err.Error(), "auto, require, off") {
			t.Errorf("ParseMode(%q) error = %v, want one naming the modes", in, err)
		}
	}
}

func TestModeAsFlagValue(t *testing.T) {
	m := ModeAuto
	if err := m.Set("off"); err != nil || m != ModeOff || m.String() != "off" {
		t.Errorf("Set(off) = %v, mode %q", err, m)
	}
	if err := m.Set("sometimes"); err == nil || m != ModeOff {
		t.Errorf("Set(sometimes) = %v, mode %q; want an error and the mode kept", err, m)
	}
}

func TestFallback(t *testing.T) {
	refused := fmt.Errorf("%w: clone: operation not permitted", ErrUnavailable)
	handled, code, err := fallback(ModeAuto, refused)
	if handled || code != 0 || !errors.Is(err, ErrUnavailable) {
		t.Errorf("fallback(auto) = %v, %d, %v; want to carry on with ErrUnavailable", handled, code, err)
	}
	handled, code, err = fallback(ModeRequire, refused)
	if !handled || code != exitFailed || !errors.Is(err, ErrUnavailable) ||
		strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "--sandbox=auto") {
		t.Errorf("fallback(require) = %v, %d, %q; want to stop with a one-line error naming --sandbox=auto", handled, code, err)
	}
}
