package coredns

import (
	"fmt"
	"strings"
	"unicode"
)

// serverKeys returns the keys of the Corefile's server blocks ("." or
// ".:53", "cluster.local:53", "dns://example.org"), in order. Snippets
// ("(name) { ... }") and top-level imports are no server blocks.
func serverKeys(corefile string) []string {
	var keys, pending []string
	depth, importLine := 0, -1
	for _, t := range tokens(corefile) {
		switch {
		case t.line == importLine:
		case !t.quoted && t.text == "{":
			if depth == 0 {
				keys = append(keys, pending...)
				pending = nil
			}
			depth++
		case !t.quoted && t.text == "}":
			depth = max(depth-1, 0)
		case depth > 0:
		case t.text == "import":
			importLine = t.line
		case strings.HasPrefix(t.text, "("):
			pending = nil
		default:
			for k := range strings.SplitSeq(t.text, ",") {
				if k != "" {
					pending = append(pending, k)
				}
			}
		}
	}
	return keys
}

// token is a word of a Corefile and the line it is on.
type token struct {
	text   string
	quoted bool
	line   int
}

// tokens splits a Corefile as CoreDNS's parser does: words separated by
// white space, "quoted words" (with \" inside), comments from a # that
// starts a word to the end of its line.
func tokens(corefile string) []token {
	var out []token
	var word strings.Builder
	inWord, quoted, inQuote, comment, escaped := false, false, false, false, false
	line := 1
	flush := func() {
		if inWord {
			out = append(out, token{text: word.String(), quoted: quoted, line: line})
		}
		word.Reset()
		inWord, quoted = false, false
	}
	for _, r := range corefile {
		switch {
		case comment:
			comment = r != '\n'
		case inQuote && escaped:
			word.WriteRune(r)
			escaped = false
		case inQuote && r == '\\':
			escaped = true
		case inQuote && r == '"':
			inQuote = false
		case inQuote:
			word.WriteRune(r)
		case unicode.IsSpace(r):
			flush()
		case r == '#' && !inWord:
			comment = true
		case r == '"' && !inWord:
			inWord, quoted, inQuote = true, true, true
		default:
			inWord = true
			word.WriteRune(r)
		}
		if r == '\n' {
			line++
		}
	}
	flush()
	return out
}

// splitKey splits a server block's key into its zone (lower case, no
// trailing dot; "." for the root) and its port ("" when not given).
func splitKey(key string) (zone, port string) {
	if _, rest, ok := strings.Cut(key, "://"); ok {
		key = rest
	}
	if i := strings.LastIndexByte(key, ':'); i >= 0 && i < len(key)-1 && strings.Trim(key[i+1:], "0123456789") == "" {
		key, port = key[:i], key[i+1:]
	}
	zone = strings.ToLower(strings.TrimSuffix(key, "."))
	if zone == "" {
		zone = "."
	}
	return zone, port
}

// within reports whether zone is name or a zone under it.
func within(zone, name string) bool {
	return zone == name || strings.HasSuffix(zone, "."+name)
}

// conflict returns the key of a server block of corefile for zone or a
// zone under it ("" when there is none): names there would not reach the
// stub zone's servers.
func conflict(corefile, zone string) string {
	for _, k := range serverKeys(corefile) {
		if z, _ := splitKey(k); within(z, zone) {
			return k
		}
	}
	return ""
}

// rootPort is the port of the server block serving the root zone, where
// the cluster's DNS Service sends queries; 53 when not given.
func rootPort(corefile string) string {
	for _, k := range serverKeys(corefile) {
		if z, p := splitKey(k); z == "." && p != "" {
			return p
		}
	}
	return "53"
}

// withZone returns corefile with a server block appended that forwards z,
// uncached, in the Corefile's own line endings, after a comment saying
// which run added it and how to remove it.
func withZone(corefile string, z StubZone, run string) string {
	nl := "\n"
	if strings.Contains(corefile, "\r\n") {
		nl = "\r\n"
	}
	var b strings.Builder
	b.WriteString(corefile)
	if corefile != "" && !strings.HasSuffix(corefile, "\n") {
		b.WriteString(nl)
	}
	servers := make([]string, len(z.Servers))
	for i, s := range z.Servers {
		servers[i] = s.String()
	}
	lines := []string{
		fmt.Sprintf("# Added by xbcheck run %s, uncached: the suite needs its TTLs as sent. `xbcheck clean --run-id %s` removes it.", run, run),
		fmt.Sprintf("%s:%s {", z.name(), rootPort(corefile)),
		"    errors",
		"    forward . " + strings.Join(servers, " "),
		"}",
	}
	for _, l := range lines {
		b.WriteString(l + nl)
	}
	return b.String()
}
