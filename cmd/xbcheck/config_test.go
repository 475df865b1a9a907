package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigFileSetsUnsetFlags(t *testing.T) {
	cmd := newRunCommand()
	path := filepath.Join(t.TempDir(), "xbcheck.yaml")
	cfg := "gateway-class: from-file\nsupported-features: [ResourceBackend, ResourceBackendTLS]\ntimeout: [Traffic=2m, Never=9s]\nlabel-filter: MUST\n"
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Flags().Parse([]string{"--label-filter", "SHOULD"}); err != nil {
		t.Fatal(err)
	}
	if err := applyConfig(cmd.Flags(), path); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"gateway-class":      "from-file",
		"supported-features": "[ResourceBackend,ResourceBackendTLS]",
		"timeout":            "[Traffic=2m,Never=9s]",
		"label-filter":       "SHOULD", // the command line wins
	} {
		if got := cmd.Flags().Lookup(name).Value.String(); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func TestConfigFileRejectsUnknownSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), "xbcheck.yaml")
	if err := os.WriteFile(path, []byte("gatway-class: typo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := applyConfig(newRunCommand().Flags(), path)
	if err == nil || !strings.Contains(err.Error(), `"gatway-class" is not a flag`) {
		t.Fatalf("want the unknown key named, got %v", err)
	}
}

func TestTestFilter(t *testing.T) {
	for _, tc := range []struct {
		filter, run string
		skip        []string
		want        string
	}{
		{"", "", nil, ""},
		{"MUST", "", nil, "(MUST)"},
		{"", "RoutingPlainHTTP", nil, "RoutingPlainHTTP"},
		{"MUST || SHOULD", "", []string{"A", "B"}, "(MUST || SHOULD) && !(A || B)"},
	} {
		if got := testFilter(tc.filter, tc.run, tc.skip); got != tc.want {
			t.Errorf("testFilter(%q, %q, %q) = %q, want %q", tc.filter, tc.run, tc.skip, got, tc.want)
		}
	}
}
