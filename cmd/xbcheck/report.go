package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"

	"github.com/xbcheck/xbcheck/internal/report"
	"github.com/xbcheck/xbcheck/internal/runner"
)

func newReportCommand() *cobra.Command {
	var from, output, format, compare string
	c := &cobra.Command{
		Use:   "report --from DIR [--compare BASE_DIR]",
		Short: "Re-render a past run's report, as HTML or as Markdown for CI, or compare two runs, without a cluster",
		Long: `Re-render the report of a past run from its report folder (summary.json and
evidence/), without a cluster.

--format html (the default) writes report.html, the self-contained page,
into DIR unless --output says where. --format markdown writes a summary for
CI step summaries and pull-request comments to stdout unless --output says
where: the verdict and why, the implementation and Gateway API version, the
failing scenarios one line each, the failures of unclaimed features apart,
and features × levels. --output - is stdout for either.

--compare BASE_DIR compares the run of --from with the base run of
BASE_DIR (say, the main branch's) scenario by scenario, by ShortName, and
writes what changed, regressions first: scenarios that newly fail (MUST
before SHOULD before OBSERVE), fail at a stronger level, or were added and
fail; then scenarios that newly pass, other changes of outcome (e.g. passed
to skipped), changed levels, changed reasons, added and removed scenarios.
--format text (the default with --compare) is for a terminal, --format
markdown for a pull request. Exit status: 1 when the new run is worse, that
is a MUST scenario regressed or the verdict went from PASS to FAIL; 0
otherwise, SHOULD and OBSERVE regressions included (they are listed, as
warnings); 2 for bad input.`,
		Example: `  xbcheck report --from _out
  xbcheck report --from out/v1.6.3 --format markdown >> "$GITHUB_STEP_SUMMARY"
  xbcheck report --from _out --compare base/_out --format markdown`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if from == "" {
				return runner.UsageError{Err: fmt.Errorf("--from is required: the --report-output folder of a past `xbcheck run`")}
			}
			if compare != "" && !c.Flags().Changed("format") {
				format = report.FormatText
			}
			switch {
			case compare == "" && format == report.FormatHTML:
				if output == "" {
					output = filepath.Join(from, report.HTMLFile)
				}
			case compare == "" && format == report.FormatMarkdown, compare != "" && (format == report.FormatText || format == report.FormatMarkdown):
				if output == "" {
					output = "-"
				}
			case compare != "":
				return runner.UsageError{Err: fmt.Errorf("--format %q with --compare: give text (the default) or markdown (for a pull request)", format)}
			default:
				return runner.UsageError{Err: fmt.Errorf("--format %q: give html (the page) or markdown (for CI summaries)", format)}
			}
			var out bytes.Buffer
			var err error
			worse := false
			if compare != "" {
				var cmp report.Comparison
				cmp, err = report.CompareFiles(&out, compare, from, format)
				worse = cmp.Worse()
			} else {
				err = report.RenderFile(&out, from, format)
			}
			var folder report.FolderError
			if errors.As(err, &folder) {
				return runner.UsageError{Err: err}
			}
			if err != nil {
				return err
			}
			if output == "-" {
				_, err = c.OutOrStdout().Write(out.Bytes())
			} else if err = os.WriteFile(output, out.Bytes(), 0o644); err != nil {
				return fmt.Errorf("write the report: %w; give --output a file xbcheck can write, or - for stdout", err)
			} else {
				fmt.Fprintf(c.OutOrStdout(), "report: %s\n", output)
			}
			if err == nil && worse {
				return exitError{code: exitFailed}
			}
			return err
		},
	}
	c.Flags().StringVar(&from, "from", "", "report folder of a past run (its summary.json and evidence/)")
	c.Flags().StringVar(&compare, "compare", "", "report folder of a base run to compare --from with: what changed, regressions first (exit 1 when a MUST scenario regressed or the verdict went from PASS to FAIL)")
	c.Flags().StringVar(&format, "format", report.FormatHTML, "html: the self-contained page; markdown: a summary for CI step summaries and pull-request comments; text: a comparison for a terminal (the default with --compare)")
	c.Flags().StringVarP(&output, "output", "o", "", "write the report here, - for stdout (default: DIR/report.html for html, stdout for markdown and text)")
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
			files = append(files, report.File{Path: opts.JUnitReport, What: "JUnit XML, one test case per scenario"})
		}
	}
	for _, f := range files {
		fmt.Fprintf(opts.Out, "report: %-40s %s\n", f.Path, f.What)
	}
	return err
}
