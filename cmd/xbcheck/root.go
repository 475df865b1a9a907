package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/xbcheck/xbcheck/internal/runner"
)

func newRootCommand() *cobra.Command {
	run := newRunCommand()
	root := &cobra.Command{
		Use:   "xbcheck",
		Short: "Conformance harness and network simulator for Gateway API XBackend",
		Long: `xbcheck drives a Gateway API implementation through the XBackend scenarios
(admission, routing, TLS, protocol, DNS rebinding) and reports per scenario
whether it does what the API demands. With no subcommand it runs the suite.`,
		Args:          noArgs,
		RunE:          run.RunE,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.Flags().AddFlagSet(run.Flags())
	root.AddCommand(run, newSetupCommand(), newCleanCommand(), newVersionCommand(), newGatewayCommand(), newFakesCommand(), newMutateCommand(), newReportCommand(), newClusterCommand(), newCoverageCommand())
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return runner.UsageError{Err: fmt.Errorf("%v; see `%s --help`", err, c.CommandPath())}
	})
	for _, c := range root.Commands() {
		c.SilenceUsage, c.SilenceErrors = true, true
	}
	return root
}

// noArgs rejects positional arguments as bad input (exit 2).
func noArgs(c *cobra.Command, args []string) error {
	if err := cobra.NoArgs(c, args); err != nil {
		return runner.UsageError{Err: fmt.Errorf("%v; see `%s --help`", err, c.CommandPath())}
	}
	return nil
}
