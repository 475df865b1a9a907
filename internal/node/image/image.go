package image

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// File is one regular file of an image's layer.
type File struct {
	// Path is where the file sits in the image, absolute.
	Path string
	// Source is the host file whose content it gets.
	Source string
	// Mode is its permission bits; 0 means 0o755.
	Mode os.FileMode
}

// Spec is what an image holds.
type Spec struct {
	Files      []File
	Entrypoint []string
	// Env is the image's environment, KEY=VALUE.
	Env []string
}

// Write writes the image of spec, tagged ref (a fully qualified name such
// as xbcheck.local/pause:v1, so that the runtime does not rename it), as
// an image tarball at path. The file appears whole or not at all.
func Write(path, ref string, spec Spec) error {
	tag, err := name.NewTag(ref, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("image name %q: %w", ref, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(path), ".image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	layerPath := filepath.Join(tmp, "layer.tar")
	if err := writeLayer(layerPath, spec.Files); err != nil {
		return err
	}
	layer, err := tarball.LayerFromFile(layerPath, tarball.WithCompressionLevel(gzip.BestSpeed), tarball.WithCompressedCaching)
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config = v1.Config{Entrypoint: spec.Entrypoint, Env: spec.Env}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	out := filepath.Join(tmp, "image.tar")
	if err := tarball.WriteToFile(out, tag, img); err != nil {
		return fmt.Errorf("write image %s: %w", ref, err)
	}
	return os.Rename(out, path)
}

// writeLayer writes an uncompressed tar of files, with the folders above
// them, and a /tmp that anyone may write to.
func writeLayer(path string, files []File) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	dirs := map[string]os.FileMode{"tmp": 0o1777}
	for _, file := range files {
		if !filepath.IsAbs(file.Path) {
			return fmt.Errorf("image file path %q is not absolute", file.Path)
		}
		for d := filepath.Dir(strings.TrimPrefix(file.Path, "/")); d != "."; d = filepath.Dir(d) {
			if _, ok := dirs[d]; !ok {
				dirs[d] = 0o755
			}
		}
	}
	names := make([]string, 0, len(dirs))
	for d := range dirs {
		names = append(names, d)
	}
	sort.Strings(names)
	for _, d := range names {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: int64(dirs[d])}); err != nil {
			return err
		}
	}
	for _, file := range files {
		if err := addFile(tw, file); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}

func addFile(tw *tar.Writer, file File) error {
	src, err := os.Open(file.Source)
	if err != nil {
		return fmt.Errorf("image file: %w", err)
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return err
	}
	mode := file.Mode
	if mode == 0 {
		mode = 0o755
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(file.Path, "/"), Size: fi.Size(), Mode: int64(mode)}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := io.Copy(tw, src); err != nil {
		return fmt.Errorf("image file %s: %w", file.Source, err)
	}
	return nil
}
