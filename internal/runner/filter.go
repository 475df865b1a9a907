package runner

import (
	"errors"
	"regexp"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/xbcheck/xbcheck/suites"
)

// Preview lists the specs the options select, without a cluster.
func Preview(opts Options) ([]suites.Scenario, error) {
	opts.defaults()
	sc, rc := opts.ginkgoConfig()
	if err := validateFilter(sc.LabelFilter); err != nil {
		return nil, err
	}
	var out []suites.Scenario
	for _, sr := range ginkgo.PreviewSpecs("XBackend conformance", sc, rc).SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt || sr.State == types.SpecStateSkipped {
			continue
		}
		s, err := suites.ScenarioFromLabels(sr.Labels())
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// validateFilter rejects a label filter Ginkgo cannot parse or that names
// a label no spec carries: such a filter would silently select nothing.
func validateFilter(filter string) error {
	if filter == "" {
		return nil
	}
	if _, err := types.ParseLabelFilter(filter); err != nil {
		msg := err.Error()
		var gerr types.GinkgoError
		if errors.As(err, &gerr) {
			msg = gerr.Heading + ": " + formatTags.ReplaceAllString(gerr.Message, "")
		}
		return usagef("--label-filter %q: %s; combine labels with &&, ||, ! and parentheses", filter, firstLine(msg))
	}
	known := map[string]bool{}
	for _, l := range allLabels() {
		known[strings.ToLower(l)] = true
	}
	for _, l := range suites.Levels {
		known[strings.ToLower(string(l))] = true
	}
	for _, f := range suites.Features {
		known[strings.ToLower(string(f))] = true
	}
	for _, word := range filterWords(filter) {
		if !known[strings.ToLower(word)] {
			return usagef("--label-filter names unknown label %q; use a level (MUST, SHOULD, OBSERVE), a feature (%s) or a ShortName from `xbcheck run --dry-run`", word, featureList())
		}
	}
	return nil
}

// formatTags are Ginkgo's colour markers, e.g. {{red}}.
var formatTags = regexp.MustCompile(`\{\{[a-z/]*\}\}`)

// filterWords returns the plain labels a filter names, leaving out
// regular expressions (/.../) and label-set expressions (key: op value).
func filterWords(filter string) []string {
	if strings.Contains(filter, ":") {
		return nil
	}
	var words []string
	inRegexp := false
	for _, f := range strings.FieldsFunc(filter, func(r rune) bool {
		if r == '/' {
			inRegexp = !inRegexp
			return true
		}
		return inRegexp || strings.ContainsRune("&|!,() \t", r)
	}) {
		words = append(words, strings.TrimSpace(f))
	}
	return words
}

func allLabels() []string {
	var labels []string
	sc, rc := ginkgo.GinkgoConfiguration()
	sc.LabelFilter, sc.FocusStrings, sc.SkipStrings = "", nil, nil
	for _, sr := range ginkgo.PreviewSpecs("XBackend conformance", sc, rc).SpecReports {
		labels = append(labels, sr.Labels()...)
	}
	slices.Sort(labels)
	return slices.Compact(labels)
}

func featureList() string {
	var names []string
	for _, f := range suites.Features {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}
