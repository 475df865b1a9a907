package report

import (
	"encoding/xml"
	"fmt"
	"os"

	"github.com/xbcheck/xbcheck/internal/verdict"
)

// JUnitFile is the JUnit XML report of a run, beside the others.
const JUnitFile = "junit.xml"

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     float64      `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       float64         `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the run as JUnit XML: one test case per spec, named
// by ShortName, classed by level and feature. A failed MUST spec is a
// failure; a failed SHOULD spec too (CI dashboards show warnings that
// way); a spec of an unclaimed feature, and a skipped one, is skipped; a
// harness error is an error of the suite.
func WriteJUnit(path string, r Run) error {
	s := junitSuite{
		Name: "XBackend conformance", Time: r.Duration.Seconds(), Timestamp: r.Date.UTC().Format("2006-01-02T15:04:05"),
		Properties: []junitProperty{
			{"implementation", r.Implementation.Project + " " + r.Implementation.Version},
			{"gatewayAPIVersion", r.GatewayAPIVersion},
			{"verdict", map[bool]string{true: "pass", false: "fail"}[r.OK()]},
		},
	}
	for _, res := range r.Results {
		c := junitCase{Name: res.ShortName, Classname: fmt.Sprintf("%s.%s", res.Level, res.Feature), Time: res.RunTime.Seconds()}
		switch res.Outcome {
		case verdict.Failed:
			c.Failure = &junitMessage{Message: res.Reason(), Type: string(res.Level), Text: res.Message}
			s.Failures++
		case verdict.NotSupported:
			c.Skipped = &junitMessage{Message: "not supported (feature not claimed): " + res.Reason()}
			s.Skipped++
		case verdict.Skipped:
			c.Skipped = &junitMessage{Message: res.Reason()}
			s.Skipped++
		}
		s.Cases = append(s.Cases, c)
	}
	for _, e := range r.HarnessErrors {
		s.Cases = append(s.Cases, junitCase{Name: "harness", Classname: "xbcheck", Error: &junitMessage{Message: e, Type: "harness error"}})
		s.Errors++
	}
	if why := r.Vacuous(); why != "" {
		s.Cases = append(s.Cases, junitCase{Name: "core", Classname: "xbcheck", Error: &junitMessage{Message: why, Type: "vacuous run"}})
		s.Errors++
	}
	s.Tests = len(s.Cases)
	doc := junitSuites{Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Time: s.Time, Suites: []junitSuite{s}}
	data, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(data, '\n')...), 0o644)
}
