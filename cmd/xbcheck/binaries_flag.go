package main

import (
	"github.com/spf13/cobra"

	"github.com/xbcheck/xbcheck/internal/binaries"
)

// registerBinariesFlag adds --binaries to a command that prepares a
// cluster's binaries, and wraps its RunE so that the mode reaches the
// code preparing them in the command's context (binaries.WithMode). Call
// it once RunE is set, before wrappers that apply --config
// (registerKindFlags), so a --config setting counts.
func registerBinariesFlag(c *cobra.Command) {
	mode := binaries.ModeAuto
	c.Flags().Var(&mode, "binaries", "where binaries the cache lacks come from: auto (download each from its official release site, checked against the published checksum, and build it from the Go module proxy where the site is unreachable, refuses or the checksum does not match), download (download only), build (build from the Go module proxy only)")
	run := c.RunE
	c.RunE = func(cmd *cobra.Command, args []string) error {
		cmd.SetContext(binaries.WithMode(cmd.Context(), mode))
		return run(cmd, args)
	}
}
