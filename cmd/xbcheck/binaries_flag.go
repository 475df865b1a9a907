package main

import (
	"github.com/spf13/pflag"

	"github.com/xbcheck/xbcheck/internal/binaries"
)

// registerBinariesFlag adds --binaries, into mode, to a command that
// prepares a cluster's binaries; it passes the mode on in its options
// (runner.Options.Binaries, binaries.Options.Mode, node.Prepare).
func registerBinariesFlag(f *pflag.FlagSet, mode *binaries.Mode) {
	*mode = binaries.ModeAuto
	f.Var(mode, "binaries", "where binaries the cache lacks come from: auto (download each from its official release site, checked against the published checksum, and build it from the Go module proxy where the site is unreachable, refuses or the checksum does not match), download (download only), build (build from the Go module proxy only)")
}
