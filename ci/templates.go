package ci

import (
	"embed"
	"io/fs"
	"regexp"
	"strings"
)

//go:embed github/*.yml gitlab/*.yml project/*.yml
var files embed.FS

// Template is one file of the folder, by its path in it.
type Template struct {
	Path string
	Text string
}

// Templates returns every template, in path order.
func Templates() []Template {
	var out []Template
	// The embedded tree is fixed at build time: walking it cannot fail.
	_ = fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, Template{Path: path, Text: string(data)})
		return nil
	})
	return out
}

// Invocation is one xbcheck command a template runs (or shows in a
// comment): its subcommand and the flags it passes, with their values
// where given as literals.
type Invocation struct {
	Template   string
	Line       int
	Subcommand string
	Flags      []Flag
}

// Flag is a flag passed on a command line; Value is the next word when the
// flag takes one, quotes removed, "" when it is a variable or absent.
type Flag struct {
	Name  string
	Value string
}

// isSubcommand reports whether w is a command of xbcheck.
func isSubcommand(w string) bool {
	switch w {
	case "run", "report", "setup", "version", "cluster", "clean", "gateway", "fakes", "mutate":
		return true
	}
	return false
}

// xbcheckWord is a command word naming xbcheck: xbcheck itself, a path to
// it, or the package `go run` and `go install` build.
var xbcheckWord = regexp.MustCompile(`(^|/)xbcheck(@\S*)?$`)

// Invocations finds the xbcheck commands of every template.
func Invocations() []Invocation { return FindInvocations(Templates()...) }

// FindInvocations finds the xbcheck commands of the given files (the
// templates, or the action.yml at the repository's root). Shell line
// continuations and YAML folded lines (`>-`) are joined first; a command
// ends at a shell operator.
func FindInvocations(templates ...Template) []Invocation {
	var out []Invocation
	for _, t := range templates {
		for _, l := range logicalLines(t.Text) {
			words := strings.Fields(l.text)
			for i := 0; i+1 < len(words); i++ {
				w := strings.Trim(words[i], `"'`)
				if !xbcheckWord.MatchString(w) || !isSubcommand(words[i+1]) {
					continue
				}
				inv := Invocation{Template: t.Path, Line: l.line, Subcommand: words[i+1]}
				for j := i + 2; j < len(words) && !isOperator(words[j]); j++ {
					name, value, hasValue := strings.Cut(words[j], "=")
					if !strings.HasPrefix(name, "--") {
						continue
					}
					f := Flag{Name: strings.TrimPrefix(name, "--")}
					switch {
					case hasValue:
						f.Value = literal(value)
					case j+1 < len(words) && !strings.HasPrefix(words[j+1], "-") && !isOperator(words[j+1]):
						f.Value = literal(words[j+1])
					}
					inv.Flags = append(inv.Flags, f)
				}
				out = append(out, inv)
			}
		}
	}
	return out
}

type logicalLine struct {
	line int
	text string
}

// logicalLines joins lines ending in a backslash, and the lines of a YAML
// block scalar folded with >- (each is a word of one command), into one,
// and drops the comment marker so commands shown in comments count too.
func logicalLines(text string) []logicalLine {
	var out []logicalLine
	folding := -1 // indentation of the folded block's key, or -1
	for i, raw := range strings.Split(text, "\n") {
		indent := len(raw) - len(strings.TrimLeft(raw, " "))
		line := strings.TrimSpace(raw)
		if folding >= 0 {
			if line != "" && indent > folding {
				last := &out[len(out)-1]
				last.text = strings.TrimSpace(last.text + " " + line)
				continue
			}
			folding = -1
		}
		line = strings.TrimSpace(strings.TrimPrefix(line, "#"))
		switch {
		case strings.HasSuffix(line, ">-") || strings.HasSuffix(line, ">"):
			out = append(out, logicalLine{line: i + 2})
			folding = indent
		case len(out) > 0 && strings.HasSuffix(out[len(out)-1].text, `\`):
			last := &out[len(out)-1]
			last.text = strings.TrimSuffix(last.text, `\`) + " " + line
		default:
			out = append(out, logicalLine{line: i + 1, text: line})
		}
	}
	return out
}

// isOperator reports whether a word ends a shell command.
func isOperator(w string) bool {
	switch w {
	case "|", "||", "&&", ";", ">", ">>", "2>&1", ")", ";;":
		return true
	}
	return strings.HasPrefix(w, ">") || strings.HasSuffix(w, ";")
}

// literal is a flag's value without quotes, "" when it is a variable or an
// expression the template fills in.
func literal(w string) string {
	w = strings.Trim(w, `"'`)
	if strings.ContainsAny(w, "$") {
		return ""
	}
	return w
}
