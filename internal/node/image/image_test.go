package image

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestWriteHoldsFilesEntrypointAndPlatform(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "hello")
	if err := os.WriteFile(bin, []byte("#!/bin/true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "hello.tar")
	ref := "xbcheck.local/hello:v1"
	if err := Write(out, ref, Spec{Files: []File{{Path: "/bin/hello", Source: bin}}, Entrypoint: []string{"/bin/hello"}, Env: []string{"A=b"}}); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag(ref)
	img, err := tarball.ImageFromPath(out, &tag)
	if err != nil {
		t.Fatalf("the tarball is not an image tagged %s: %v", ref, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture == "" || !slices.Equal(cf.Config.Entrypoint, []string{"/bin/hello"}) || !slices.Equal(cf.Config.Env, []string{"A=b"}) {
		t.Fatalf("config: os %q arch %q entrypoint %q env %q", cf.OS, cf.Architecture, cf.Config.Entrypoint, cf.Config.Env)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("want one layer, got %d (%v)", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	entries := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		entries[h.Name] = h
	}
	for _, want := range []string{"bin/", "tmp/", "bin/hello"} {
		if entries[want] == nil {
			t.Errorf("layer lacks %s; has %v", want, entries)
		}
	}
	if h := entries["bin/hello"]; h != nil && (h.Mode != 0o755 || h.Size != 12) {
		t.Errorf("bin/hello: mode %o size %d, want 755 and 12", h.Mode, h.Size)
	}
	if h := entries["tmp/"]; h != nil && h.Mode != 0o1777 {
		t.Errorf("tmp/ mode %o, want 1777", h.Mode)
	}
}

func TestWriteRefusesRelativePathsAndBadNames(t *testing.T) {
	dir := t.TempDir()
	if err := Write(filepath.Join(dir, "x.tar"), "xbcheck.local/x:v1", Spec{Files: []File{{Path: "bin/x", Source: "/bin/true"}}}); err == nil {
		t.Error("a relative path in the image must be refused")
	}
	if err := Write(filepath.Join(dir, "x.tar"), "Not A Name", Spec{}); err == nil {
		t.Error("an invalid image name must be refused")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed writes left %v", entries)
	}
}

// The test binary itself is what a pod runs in the node's integration
// test: whatever it links must come along.
func TestExecutableBringsInterpreterAndLibraries(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	files, err := Executable(self, "/probe")
	if err != nil {
		t.Fatal(err)
	}
	if files[0].Path != "/probe" || files[0].Source != self {
		t.Fatalf("first file %+v, want the executable at /probe", files[0])
	}
	interp, needed, err := dynamic(self)
	if err != nil {
		t.Fatal(err)
	}
	if interp == "" {
		if len(files) != 1 {
			t.Fatalf("a static executable needs nothing else, got %+v", files)
		}
		return
	}
	paths := map[string]bool{}
	for _, f := range files {
		paths[filepath.Base(f.Path)] = true
	}
	for _, lib := range append(needed, filepath.Base(interp)) {
		if !paths[lib] {
			t.Errorf("image files lack %s: %+v", lib, files)
		}
	}
}

func TestExecutableRefusesNonELF(t *testing.T) {
	p := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Executable(p, "/script"); err == nil {
		t.Fatal("a shell script is no ELF executable")
	}
}
