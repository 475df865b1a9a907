package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/xbcheck/xbcheck/fakes/control"
	"github.com/xbcheck/xbcheck/internal/runner"
)

func newFakesCommand() *cobra.Command {
	var configPath, controlAddr, exitWhenIdle string
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
			if configPath == "" && controlAddr == "" {
				return runner.UsageError{Err: errors.New("fakes needs --config FILE (or --control-addr HOST:PORT for no fakes but the control API's); see `xbcheck fakes --help`")}
			}
			var cfg control.Config
			if configPath != "" {
				var err error
				if cfg, err = control.LoadConfig(configPath); err != nil {
					return runner.UsageError{Err: err}
				}
			}
			cfg.Allow = append(cfg.Allow, allow...)
			if controlAddr != "" {
				cfg.Control.Addr = controlAddr
			}
			if exitWhenIdle != "" {
				cfg.Control.ExitWhenIdle = exitWhenIdle
			}
			if err := cfg.Validate(); err != nil {
				return runner.UsageError{Err: err}
			}
			return control.Run(c.Context(), cfg, c.OutOrStdout())
		},
	}
	c.Flags().StringVar(&configPath, "config", "", "YAML or JSON file describing the fakes")
	c.Flags().StringVar(&controlAddr, "control-addr", "", "HOST:PORT the control API listens on, instead of the config's control.addr; without --config, the fakes start empty (a canary in a data-plane pod passes the pod's IP and port 0)")
	c.Flags().StringVar(&exitWhenIdle, "exit-when-idle", "", "stop once the control API has had no request for this long (e.g. 5m), instead of the config's control.exitWhenIdle")
	c.Flags().StringArrayVar(&allow, "allow", nil, "a further prefix or address the control API may start fakes on, added to the config's allow (a pod passes its own IP); repeatable")
	return c
}
