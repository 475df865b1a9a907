package coverage

import (
	"fmt"
	"io"
	"strings"
)

// Formats the map prints in.
const (
	Text     = "text"
	Markdown = "markdown"
)

// Write prints the map in format: each cell with the specs that exercise
// it, or why none can, or UNCOVERED; a count by group; and, last,
// "uncovered: N".
func (m Map) Write(w io.Writer, format string) error {
	var b strings.Builder
	switch format {
	case Text:
		fmt.Fprintf(&b, "coverage of Gateway API %s\n", m.Release)
		group := Group("")
		for _, r := range m.Rows {
			if r.Group != group {
				group = r.Group
				fmt.Fprintf(&b, "\n%s\n", group)
			}
			fmt.Fprintf(&b, "  %s\n      %s\n", r.ID, r.verdict())
		}
		b.WriteString("\n")
		for _, c := range m.Counts() {
			fmt.Fprintf(&b, "%s: %d of %d cells covered\n", c.Group, c.Covered, c.Cells)
		}
	case Markdown:
		fmt.Fprintf(&b, "# Coverage of Gateway API %s\n\n", m.Release)
		b.WriteString("| group | cells | covered |\n|---|---:|---:|\n")
		for _, c := range m.Counts() {
			fmt.Fprintf(&b, "| %s | %d | %d |\n", c.Group, c.Cells, c.Covered)
		}
		group := Group("")
		for _, r := range m.Rows {
			if r.Group != group {
				group = r.Group
				fmt.Fprintf(&b, "\n## %s\n\n| cell | exercised by |\n|---|---|\n", group)
			}
			fmt.Fprintf(&b, "| %s | %s |\n", escape(r.ID), escape(r.verdict()))
		}
		b.WriteString("\n")
	default:
		return fmt.Errorf("--format %q: use %s or %s", format, Text, Markdown)
	}
	fmt.Fprintf(&b, "uncovered: %d\n", m.Uncovered())
	_, err := io.WriteString(w, b.String())
	return err
}

func (r Row) verdict() string {
	var parts []string
	if len(r.Specs) > 0 {
		parts = append(parts, strings.Join(r.Specs, ", "))
	}
	if len(r.Choices) > 0 {
		parts = append(parts, "choice "+strings.Join(r.Choices, ", choice ")+" (xbcheck mutate --choices)")
	}
	switch {
	case len(parts) > 0:
		return strings.Join(parts, "; ")
	case r.NoneCan != "":
		return r.NoneCan
	}
	return "UNCOVERED"
}

func escape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
