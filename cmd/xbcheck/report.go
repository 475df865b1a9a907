package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"

	"github.com/xbcheck/xbcheck/internal/report"
	"github.com/xbcheck/xbcheck/internal/runner"
)

func newReportCommand() *cobra.Command {
	var from, output string
	c := &cobra.Command{
		Use:   "report --from DIR",
		Short: "Re-render report.html from the report folder of a past run, without a cluster",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if from == "" {
				return runner.UsageError{Err: fmt.Errorf("--from is required: the --report-output folder of a past `xbcheck run`")}
			}
			if output == "" {
				output = filepath.Join(from, report.HTMLFile)
			}
			if err := report.RenderFile(from, output); err != nil {
				return runner.UsageError{Err: err}
			}
			fmt.Fprintf(c.OutOrStdout(), "report: %s\n", output)
			return nil
		},
	}
	c.Flags().StringVar(&from, "from", "", "report folder of a past run (its summary.json and evidence/)")
	c.Flags().StringVarP(&output, "output", "o", "", "write the page here (default DIR/report.html)")
	return c
}

// reportFlags are the implementation's identity for conformance-report.yaml,
// with upstream's flag names.
type reportFlags struct{ impl confv1.Implementation }

func (r *reportFlags) register(f *pflag.FlagSet) {
	f.StringVar(&r.impl.Organization, "organization", "", "organization that maintains the implementation, for conformance-report.yaml")
	f.StringVar(&r.impl.Project, "project", "", "the implementation's project name, for conformance-report.yaml")
	f.StringVar(&r.impl.URL, "url", "", "where the implementation is described, for conformance-report.yaml")
	f.StringVar(&r.impl.Version, "version", "", "the implementation's version, for conformance-report.yaml")
	f.StringSliceVar(&r.impl.Contact, "contact", nil, "maintainers to contact (@user, @org/team, email or URL), for conformance-report.yaml")
}

// check runs before anything starts: a report asked for needs the
// implementation's identity, except for xbcheck's own reference gateway;
func (r *reportFlags) check(opts *runner.Options) error {
	if opts.ReportDir == "" {
		return nil
	}
	reference := opts.ImplementationCmd == "" && opts.GatewayClass == ""
	impl, err := report.CheckImplementation(r.impl, reference)
	if err != nil {
		return runner.UsageError{Err: err}
	}
	r.impl = impl
	return nil
}

// write writes the reports of a finished run and says, once each, where
// they are and what they are.
func (r *reportFlags) write(opts runner.Options, run *report.Run) error {
	run.Implementation, run.Date = r.impl, time.Now().UTC()
	var files []report.File
	var err error
	if opts.ReportDir != "" {
		files, err = report.Write(opts.ReportDir, *run)
	}
	if opts.JUnitReport != "" && err == nil {
		if err = report.WriteJUnit(opts.JUnitReport, *run); err == nil {
			files = append(files, report.File{Path: opts.JUnitReport, What: "JUnit XML, one test case per spec"})
		}
	}
	for _, f := range files {
		fmt.Fprintf(opts.Out, "report: %-40s %s\n", f.Path, f.What)
	}
	return err
}
