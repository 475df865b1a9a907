package mutate

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/xbcheck/xbcheck/reference/faults"
)

// Select returns the faults a comma-separated list names, in the order of
// [faults.All]; when the list is empty, every fault but the choices
// ([faults.Choice]), which no spec may kill.
func Select(list string) ([]faults.Info, error) {
	set, err := faults.Parse(list)
	if err != nil {
		return nil, err
	}
	var out []faults.Info
	for _, info := range faults.All() {
		if len(set) == 0 && !faults.Choice(info.Name) || set.Has(info.Name) {
			out = append(out, info)
		}
	}
	return out, nil
}

// WriteMarkdownFile writes the kill matrix to path: between the
// kill-matrix markers when the file has them (the rest of it is kept), as
// the whole file when it does not exist yet.
func WriteMarkdownFile(path string, r Report) error {
	var matrix bytes.Buffer
	r.WriteMarkdown(&matrix)
	doc, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.WriteFile(path, matrix.Bytes(), 0o644)
	case err != nil:
		return fmt.Errorf("--markdown %s: %w", path, err)
	}
	updated, ok := ReplaceSection(string(doc), matrix.String())
	if !ok {
		return fmt.Errorf("--markdown %s: the file exists but has no %s ... %s section; add those markers where the matrix goes, or name a new file", path, StartMarker, EndMarker)
	}
	return os.WriteFile(path, []byte(updated), 0o644)
}
