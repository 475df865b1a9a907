package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/xbcheck/xbcheck/internal/binaries"
	"github.com/xbcheck/xbcheck/internal/runner"
)

// Every command that prepares binaries takes --binaries, and refuses a
// mode it does not know in one line, before anything starts.
func TestBinariesFlagRefusesAnUnknownMode(t *testing.T) {
	for _, args := range [][]string{{"run"}, {"setup"}, {"mutate"}, {"cluster", "up"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			_, err := execute(append(args, "--binaries", "fetch")...)
			var usage runner.UsageError
			if err == nil || !strings.Contains(err.Error(), `give auto, download or build, not "fetch"`) || !errors.As(err, &usage) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("want a one-line usage error naming the modes, got %T %v", err, err)
			}
		})
	}
}

// The mode given lands in the variable the command passes on in its
// options; without the flag it is auto.
func TestBinariesFlagSetsTheMode(t *testing.T) {
	for want, args := range map[binaries.Mode][]string{
		binaries.ModeAuto:     nil,
		binaries.ModeBuild:    {"--binaries", "build"},
		binaries.ModeDownload: {"--binaries=download"},
	} {
		var got binaries.Mode
		f := pflag.NewFlagSet("x", pflag.ContinueOnError)
		registerBinariesFlag(f, &got)
		if err := f.Parse(args); err != nil || got != want {
			t.Errorf("%v: mode %s, %v; want %s", args, got, err, want)
		}
	}
}

// --config sets --binaries of xbcheck run like any other flag, and an
// unknown mode there is the same one-line usage error.
func TestBinariesFlagFromConfig(t *testing.T) {
	dir := t.TempDir()
	build := filepath.Join(dir, "build.yaml")
	fetch := filepath.Join(dir, "fetch.yaml")
	for path, cfg := range map[string]string{build: "binaries: build\n", fetch: "binaries: fetch\n"} {
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := newRunCommand()
	if err := applyConfig(cmd.Flags(), build); err != nil {
		t.Fatal(err)
	}
	if got := cmd.Flags().Lookup("binaries").Value.String(); got != string(binaries.ModeBuild) {
		t.Errorf("--config with binaries: build gave --binaries %s", got)
	}
	_, err := execute("run", "--config", fetch)
	var usage runner.UsageError
	if err == nil || !strings.Contains(err.Error(), `give auto, download or build, not "fetch"`) || !errors.As(err, &usage) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("binaries: fetch in --config: want a one-line usage error naming the modes, got %T %v", err, err)
	}
}
