package binaries

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeExecutable(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\necho fake\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestEnsureUsesAssetsDir(t *testing.T) {
	dir := t.TempDir()
	writeExecutable(t, filepath.Join(dir, KubeAPIServer))
	writeExecutable(t, filepath.Join(dir, Etcd))
	var log bytes.Buffer
	set, err := Ensure(context.Background(), Options{AssetsDir: dir, CacheDir: t.TempDir(), Progress: &log})
	if err != nil {
		t.Fatal(err)
	}
	if set.Dir != dir || set.Source != "KUBEBUILDER_ASSETS" {
		t.Fatalf("got %+v, want dir %s from KUBEBUILDER_ASSETS", set, dir)
	}
	if !strings.Contains(log.String(), "from KUBEBUILDER_ASSETS="+dir) {
		t.Fatalf("progress does not say where the binaries come from:\n%s", log.String())
	}
}

func TestEnsureRejectsIncompleteAssetsDir(t *testing.T) {
	dir := t.TempDir()
	writeExecutable(t, filepath.Join(dir, KubeAPIServer))
	_, err := Ensure(context.Background(), Options{AssetsDir: dir, CacheDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "no executable etcd") {
		t.Fatalf("want an error naming the missing etcd, got %v", err)
	}
}

func TestEnsureUsesCacheWithoutBuilding(t *testing.T) {
	t.Setenv("KUBEBUILDER_ASSETS", "")
	opts := Options{CacheDir: t.TempDir(), GoCommand: "/nonexistent/go"}
	writeExecutable(t, filepath.Join(opts.CacheEntry(), KubeAPIServer))
	writeExecutable(t, filepath.Join(opts.CacheEntry(), Etcd))
	set, err := Ensure(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if set.Source != "cache" || set.Dir != opts.CacheEntry() {
		t.Fatalf("got %+v, want the cache entry %s", set, opts.CacheEntry())
	}
}

// A build that fails half way (here: the go tool writes a partial binary and
// exits non-zero) must leave nothing in the cache that a later run trusts.
func TestFailedBuildLeavesNoCacheEntry(t *testing.T) {
	t.Setenv("KUBEBUILDER_ASSETS", "")
	fakeGo := filepath.Join(t.TempDir(), "go")
	script := `#!/bin/sh
case "$1" in
  list) echo a; echo b ;;
  build) while [ "$1" != "-o" ]; do shift; done; echo partial > "$2"; echo "compile: boom" >&2; exit 1 ;;
esac
`
	if err := os.WriteFile(fakeGo, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	opts := Options{CacheDir: t.TempDir(), GoCommand: fakeGo, Progress: &log, Mode: ModeBuild}
	_, err := Ensure(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "compile: boom") {
		t.Fatalf("want the build error with its output, got %v", err)
	}
	entries, _ := os.ReadDir(opts.CacheEntry())
	if len(entries) != 0 {
		t.Fatalf("cache entry %s keeps %d files after a failed build: %v", opts.CacheEntry(), len(entries), entries)
	}
	if !strings.Contains(log.String(), "building etcd "+EtcdVersion) {
		t.Fatalf("progress did not announce the build:\n%s", log.String())
	}
}

func TestStagingReplaces(t *testing.T) {
	goMod := []byte(`module k8s.io/kubernetes

go 1.26.0

require k8s.io/api v0.0.0

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go
	github.com/other/mod => github.com/other/mod v1.2.3
)
`)
	got, err := stagingReplaces(goMod)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"k8s.io/api => k8s.io/api v0.37.2", "k8s.io/client-go => k8s.io/client-go v0.37.2"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q", got, want)
	}
	if _, err := stagingReplaces([]byte("module k8s.io/kubernetes\n")); err == nil {
		t.Fatal("a go.mod without staging replaces must be an error")
	}
}

func TestWrapperGoModParses(t *testing.T) {
	for _, r := range append(controlPlaneRecipes(), nodeRecipes()...) {
		b := wrapperGoMod(r, []string{"a.example/x => a.example/x v1.0.0"})
		if r.module == "" {
			if bytes.Contains(b, []byte("require")) {
				t.Fatalf("wrapper go.mod for %s builds its own source and must require nothing:\n%s", r.binary, b)
			}
			continue
		}
		if !bytes.Contains(b, []byte("require "+r.module+" "+r.version)) || !bytes.Contains(b, []byte("a.example/x => a.example/x v1.0.0")) {
			t.Fatalf("wrapper go.mod for %s lacks its require or replace:\n%s", r.binary, b)
		}
	}
}
