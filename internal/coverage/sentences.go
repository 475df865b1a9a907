package coverage

import (
	"regexp"
	"slices"
	"strings"
)

// normative matches the keywords of a requirement: RFC 2119's upper case,
// and the lower-case "must" the XBackend API writes requirements with.
var normative = regexp.MustCompile(`\b(MUST|SHOULD|MAY|REQUIRED|must)\b`)

// sentenceCells lists the normative sentences of the scopes' field
// descriptions, each once, at the first path that states it.
func sentenceCells(scopes []*scope) []Cell {
	var out []Cell
	seen := map[string]bool{}
	for _, sc := range scopes {
		paths := make([]string, 0, len(sc.nodes))
		for p := range sc.nodes {
			paths = append(paths, p)
		}
		slices.Sort(paths)
		for _, p := range paths {
			for _, s := range sentencesOf(sc.nodes[p].Description) {
				if !normative.MatchString(s) || seen[s] {
					continue
				}
				seen[s] = true
				out = append(out, Cell{ID: p + ": " + s, Group: GroupSentence, Source: s})
			}
		}
	}
	return out
}

// sentencesOf splits a description into sentences.
func sentencesOf(description string) []string {
	text := normalizeText(description)
	var out []string
	for text != "" {
		i := strings.Index(text, ". ")
		if i < 0 {
			out = append(out, text)
			break
		}
		out = append(out, text[:i+1])
		text = text[i+2:]
	}
	return out
}

func normalizeText(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "`", "")), " ")
}

// quoteCovers reports whether a spec's quoted sentence (parts joined by
// " ... ") states the sentence of a cell: one contains the other.
func quoteCovers(quote, sentence string) bool {
	for _, part := range strings.Split(normalizeText(quote), " ... ") {
		part = strings.Trim(part, " .")
		if len(part) < 20 {
			continue
		}
		if strings.Contains(sentence, part) || strings.Contains(part, strings.TrimSuffix(sentence, ".")) {
			return true
		}
	}
	return false
}

// quoteText splits "Where: text" into its place and its text.
func quoteText(q string) (where, text string) {
	where, text, ok := strings.Cut(q, ": ")
	if !ok {
		return "", q
	}
	return where, text
}
