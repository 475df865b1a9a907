package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

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

// The mode given reaches the code that prepares binaries through the
// command's context; without the flag it is auto.
func TestBinariesFlagReachesTheContext(t *testing.T) {
	for want, args := range map[binaries.Mode][]string{
		binaries.ModeAuto:     nil,
		binaries.ModeBuild:    {"--binaries", "build"},
		binaries.ModeDownload: {"--binaries=download"},
	} {
		var got binaries.Mode
		c := &cobra.Command{Use: "x", RunE: func(c *cobra.Command, _ []string) error {
			got = binaries.ModeFrom(c.Context())
			return nil
		}}
		registerBinariesFlag(c)
		c.SetArgs(args)
		if err := c.Execute(); err != nil || got != want {
			t.Errorf("%v: mode %s, %v; want %s", args, got, err, want)
		}
	}
}
