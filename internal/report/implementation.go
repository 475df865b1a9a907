package report

import (
	"errors"
	"runtime/debug"
	"strings"

	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"
)

// The reference gateway is xbcheck's own: its report identifies it so.
const (
	referenceOrganization = "xbcheck"
	referenceProject      = "reference-gateway"
	referenceURL          = "https://github.com/xbcheck/xbcheck"
	referenceContact      = "https://github.com/xbcheck/xbcheck/issues"
)

// CheckImplementation returns the implementation a ConformanceReport names.
// For xbcheck's in-process reference gateway (reference true) empty fields
// are filled with xbcheck's own; for any other implementation every field
// is required, and the error names the flags that are missing.
func CheckImplementation(impl confv1.Implementation, reference bool) (confv1.Implementation, error) {
	if reference {
		fill(&impl.Organization, referenceOrganization)
		fill(&impl.Project, referenceProject)
		fill(&impl.URL, referenceURL)
		fill(&impl.Version, ToolVersion())
		if len(impl.Contact) == 0 {
			impl.Contact = []string{referenceContact}
		}
	}
	var missing []string
	for _, f := range []struct {
		flag  string
		empty bool
	}{
		{"--organization", impl.Organization == ""},
		{"--project", impl.Project == ""},
		{"--url", impl.URL == ""},
		{"--version", impl.Version == ""},
		{"--contact", len(impl.Contact) == 0},
	} {
		if f.empty {
			missing = append(missing, f.flag)
		}
	}
	if len(missing) > 0 {
		return impl, errors.New("conformance-report.yaml needs the implementation's " + strings.Join(missing, ", ") +
			"; give them, or --report-output='' to write no report")
	}
	return impl, nil
}

func fill(field *string, value string) {
	if *field == "" {
		*field = value
	}
}

// ToolVersion is xbcheck's version as recorded in the binary, "(devel)"
// for a build from a work tree.
func ToolVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
