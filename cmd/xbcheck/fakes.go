package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/xbcheck/xbcheck/fakes/control"
	"github.com/xbcheck/xbcheck/internal/runner"
)

func newFakesCommand() *cobra.Command {
	var configPath string
	var allow []string
	c := &cobra.Command{
		Use:   "fakes --config FILE",
		Short: "Run the fake upstreams, canaries and rogue DNS server in one process, with an HTTP control API",
		Long: `fakes runs what FILE describes (see the fakes/control package documentation
for the format) and prints "control-api http://HOST:PORT" first, then one line
per fake, and serves until interrupted. Through the control API a harness
scripts the DNS, reads what the fakes saw, and starts and stops upstreams and
canaries: upstreams without an address take the next one of the config's
"internet" (default 127.0.1.0/24). Cluster providers run this in a pod and
drive it through the control API, and send probes through it (POST /v1/probe).`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if configPath == "" {
				return runner.UsageError{Err: errors.New("fakes needs --config FILE; see `xbcheck fakes --help`")}
			}
			cfg, err := control.LoadConfig(configPath)
			if err != nil {
				return runner.UsageError{Err: err}
			}
			cfg.Allow = append(cfg.Allow, allow...)
			if err := cfg.Validate(); err != nil {
				return runner.UsageError{Err: err}
			}
			return control.Run(c.Context(), cfg, c.OutOrStdout())
		},
	}
	c.Flags().StringVar(&configPath, "config", "", "YAML or JSON file describing the fakes")
	c.Flags().StringArrayVar(&allow, "allow", nil, "a further prefix or address the control API may start fakes on, added to the config's allow (a pod passes its own IP); repeatable")
	return c
}
