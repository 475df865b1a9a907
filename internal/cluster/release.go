package cluster

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/xbcheck/xbcheck/internal/crds"
)

var releaseVersion = regexp.MustCompile(`^v\d+\.\d+\.\d+(-rc\.\d+)?$`)

// CheckGatewayAPIVersion says, in one line, what is wrong with a
// --gateway-api-version, or nil.
func CheckGatewayAPIVersion(v string) error {
	if !releaseVersion.MatchString(v) {
		return fmt.Errorf("--gateway-api-version %q is not a Gateway API release; give one such as v1.6.3", v)
	}
	return nil
}

// CheckGatewayAPIRelease says, in one line, why version is not a Gateway
// API release a run can install, or nil: its form, then its experimental
// CRDs in xbcheck's cache, else the Go module proxy's answer for the
// module at that version (one small lookup; nothing is downloaded). Call
// it before anything starts, --dry-run too.
func CheckGatewayAPIRelease(ctx context.Context, version string) error {
	if err := CheckGatewayAPIVersion(version); err != nil {
		return err
	}
	if dir, err := releaseDir(version); err == nil {
		if _, err := os.Stat(dir); err == nil {
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, releaseLookupTimeout)
	defer cancel()
	mod := crds.GatewayAPIModule + "@" + version
	cmd := exec.CommandContext(ctx, "go", "list", "-e", "-m", "-json", mod)
	cmd.Dir = os.TempDir() // outside any module
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	var info struct{ Error *struct{ Err string } }
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return fmt.Errorf("--gateway-api-version %s: the Go module proxy did not answer within %s; check GOPROXY and the network, or pass --crds DIR", version, releaseLookupTimeout)
	case err != nil:
		return fmt.Errorf("--gateway-api-version %s: go list: %v; check that go is on PATH, or pass --crds DIR", version, err)
	case json.Unmarshal(out, &info) != nil:
		return fmt.Errorf("--gateway-api-version %s: go list said %q; pass --crds DIR", version, firstLine(string(out)))
	case info.Error != nil:
		return fmt.Errorf("--gateway-api-version %s: not found through the Go module proxy (%s); give a release of %s such as %s, or --crds DIR", version, firstLine(info.Error.Err), crds.GatewayAPIModule, DefaultGatewayAPIVersion())
	}
	return nil
}

// releaseLookupTimeout bounds CheckGatewayAPIRelease's question to the
// module proxy: it answers a known or unknown version in well under a
// second.
const releaseLookupTimeout = 15 * time.Second

// firstLine is s up to its first line break.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// releaseDir is where the experimental CRDs of a release are cached.
func releaseDir(version string) (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the cache folder for Gateway API %s: %w; set XDG_CACHE_HOME", version, err)
	}
	return filepath.Join(cache, "xbcheck", "gateway-api", version, "experimental"), nil
}

// loadRelease loads the experimental CRDs of a Gateway API release: the
// module sigs.k8s.io/gateway-api at that version, fetched through the Go
// module proxy once and its CRD folder kept in xbcheck's cache, so a run
// in the network sandbox finds it there. The module zip is read directly:
// a release may need a newer Go than this one to build, never to read its
// YAML.
func loadRelease(ctx context.Context, version string) (*crds.Bundle, error) {
	if err := CheckGatewayAPIVersion(version); err != nil {
		return nil, BadInput{err}
	}
	dir, err := releaseDir(version)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(dir); err != nil {
		if err := fetchRelease(ctx, version, dir); err != nil {
			return nil, err
		}
	}
	b, err := crds.Load(dir)
	if err != nil {
		return nil, BadInput{fmt.Errorf("Gateway API %s: %w", version, err)}
	}
	return b, nil
}

// fetchRelease writes the experimental CRD files of release version into
// dir, which appears whole or not at all.
func fetchRelease(ctx context.Context, version, dir string) error {
	mod := crds.GatewayAPIModule + "@" + version
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", mod)
	cmd.Dir = os.TempDir() // outside any module
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=-mod=mod")
	out, _ := cmd.Output()
	var info struct{ Zip, Error string }
	if err := json.Unmarshal(out, &info); err != nil || info.Zip == "" {
		why := info.Error
		if why == "" {
			why = fmt.Sprintf("go mod download: %v", err)
		}
		return BadInput{fmt.Errorf("fetch Gateway API %s: %s; check the release exists, or pass --crds DIR", version, why)}
	}
	// info.Error may only say the release needs a newer Go to build.
	zr, err := zip.OpenReader(info.Zip)
	if err != nil {
		return fmt.Errorf("read %s: %w", info.Zip, err)
	}
	defer zr.Close()
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".experimental-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	prefix := mod + "/config/crd/experimental/"
	n := 0
	for _, f := range zr.File {
		name, ok := strings.CutPrefix(f.Name, prefix)
		if !ok || strings.Contains(name, "/") || path.Ext(name) != ".yaml" {
			continue
		}
		if err := extract(f, filepath.Join(tmp, name)); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return BadInput{fmt.Errorf("Gateway API %s has no experimental CRDs in its module; pass --crds DIR", version)}
	}
	return os.Rename(tmp, dir)
}

func extract(f *zip.File, dest string) error {
	r, err := f.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.Create(dest)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
