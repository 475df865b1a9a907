package crds

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadPinnedModule(t *testing.T) {
	dir, err := ModuleDir(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b.Channel != "experimental" || !strings.HasPrefix(b.BundleVersion, "v1.") {
		t.Fatalf("XBackend CRD annotations: channel %q, version %q", b.Channel, b.BundleVersion)
	}
	if b.Schema.Version != b.BundleVersion {
		t.Errorf("the pinned module's XBackend CRD (bundle %s) is read as schema %q", b.BundleVersion, b.Schema.Version)
	}
	kinds := map[string]bool{}
	for _, c := range b.CRDs {
		kinds[c.Spec.Names.Kind] = true
	}
	for _, k := range []string{"XBackend", "Gateway", "GatewayClass", "HTTPRoute", "ReferenceGrant"} {
		if !kinds[k] {
			t.Errorf("CRD for %s missing from %s", k, dir)
		}
	}
}

func TestLoadRejectsFolderWithoutXBackend(t *testing.T) {
	dir := t.TempDir()
	crd := "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n"
	if err := os.WriteFile(filepath.Join(dir, "w.yaml"), []byte(crd), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "no XBackend CRD") {
		t.Fatalf("want an error saying the XBackend CRD is missing, got %v", err)
	}
	if _, err := Load(filepath.Join(dir, "absent")); err == nil || !strings.Contains(err.Error(), "--crds") {
		t.Fatalf("want an error pointing at --crds, got %v", err)
	}
}
