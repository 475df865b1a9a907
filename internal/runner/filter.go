package runner

import (
	"errors"
	"regexp"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/xbcheck/xbcheck/internal/verdict"
	"github.com/xbcheck/xbcheck/suites"
	"github.com/xbcheck/xbcheck/suites/harness"
)

// Preview lists the specs the options select, without a cluster: the
// label filter, then --focus over each spec's text.
func Preview(opts Options) ([]verdict.Scenario, error) {
	opts.defaults()
	sc, _ := opts.ginkgoConfig()
	families := suites.Families()
	if err := validateFilter(families, sc.LabelFilter); err != nil {
		return nil, err
	}
	selected, err := harness.Select(families, sc.LabelFilter)
	if err != nil {
		return nil, err
	}
	var focus []*regexp.Regexp
	for _, f := range sc.FocusStrings {
		re, err := regexp.Compile(f)
		if err != nil {
			return nil, usagef("--focus %q: %v; give a regular expression", f, err)
		}
		focus = append(focus, re)
	}
	texts := map[string]string{}
	for _, f := range families {
		for _, t := range f.Scenarios {
			texts[t.ShortName] = f.Name + " " + t.Description
		}
	}
	var out []verdict.Scenario
	for _, s := range selected {
		if len(focus) == 0 || matchesAny(focus, texts[s.ShortName]) {
			out = append(out, s)
		}
	}
	return out, nil
}

func matchesAny(res []*regexp.Regexp, text string) bool {
	for _, re := range res {
		if re.MatchString(text) {
			return true
		}
	}
	return false
}

// validateFilter rejects a label filter Ginkgo cannot parse or that names
// a label no spec carries: such a filter would silently select nothing.
func validateFilter(families []harness.Family, filter string) error {
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
	for _, s := range harness.Scenarios(families) {
		for _, l := range s.Labels() {
			known[strings.ToLower(l)] = true
		}
	}
	for _, l := range verdict.Levels() {
		known[strings.ToLower(string(l))] = true
	}
	for _, f := range verdict.FeatureNames() {
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
