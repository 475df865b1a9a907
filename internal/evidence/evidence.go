package evidence

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/xbcheck/xbcheck/fakes/canary"
	"github.com/xbcheck/xbcheck/fakes/dns"
	"github.com/xbcheck/xbcheck/fakes/upstream"
)

// Dir is the folder of a report folder that holds the evidence files.
const Dir = "evidence"

// Doc is one spec's evidence.
type Doc struct {
	ShortName string `json:"shortName"`
	// Requirement is what the spec checks; Source the API sentence its
	// level rests on, with the document and release it is quoted from.
	Requirement  string                      `json:"requirement,omitempty"`
	Source       string                      `json:"source,omitempty"`
	Notes        []string                    `json:"notes,omitempty"`
	Manifests    []string                    `json:"manifests,omitempty"`
	DNS          []dns.Query                 `json:"dns,omitempty"`
	Upstreams    map[string][]upstream.Event `json:"upstreams,omitempty"`
	Canaries     map[string][]canary.Hit     `json:"canaries,omitempty"`
	Measurements map[string]string           `json:"measurements,omitempty"`
}

// Write stores doc as dir/<ShortName>.json.
func Write(dir string, doc Doc) error {
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path(dir, doc.ShortName), data, 0o644)
}

// Read loads dir/<shortName>.json; an absent file is an error for which
// os.IsNotExist holds (a spec skipped before it started has none).
func Read(dir, shortName string) (*Doc, error) {
	data, err := os.ReadFile(path(dir, shortName))
	if err != nil {
		return nil, err
	}
	var doc Doc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v; it was not written by xbcheck, or was edited", path(dir, shortName), err)
	}
	return &doc, nil
}

func path(dir, shortName string) string { return filepath.Join(dir, shortName+".json") }
