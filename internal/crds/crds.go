package crds

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	xv1alpha1 "sigs.k8s.io/gateway-api/apisx/v1alpha1"
	"sigs.k8s.io/yaml"

	"github.com/xbcheck/xbcheck/internal/gatewayapi"
)

const (
	// GatewayAPIModule is the module whose CRDs are installed.
	GatewayAPIModule = "sigs.k8s.io/gateway-api"
	// XBackendCRD is the name of the XBackend CustomResourceDefinition.
	XBackendCRD = "xbackends." + xv1alpha1.GroupName

	bundleVersionAnnotation = gatewayapi.BundleVersionAnnotation
	// ChannelAnnotation names the release channel of Gateway API CRDs.
	ChannelAnnotation = "gateway.networking.k8s.io/channel"
	experimentalPath  = "config/crd/experimental"
)

// Bundle is a loaded set of CRDs.
type Bundle struct {
	Dir  string
	CRDs []*apiextensionsv1.CustomResourceDefinition
	// BundleVersion and Channel come from the XBackend CRD's annotations.
	BundleVersion string
	Channel       string
	// Schema is the XBackend schema the CRD serves.
	Schema gatewayapi.Schema
}

// moduleVersion returns the gateway-api version this binary was built with,
// or "" where the binary carries no dependency list (test binaries).
func moduleVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range info.Deps {
		if d.Path == GatewayAPIModule {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
}

// ModuleDir returns the experimental CRD folder of the pinned gateway-api
// module: the version recorded in this binary, downloaded through the Go
// module proxy if needed, or else the one the surrounding module requires.
func ModuleDir(ctx context.Context) (string, error) {
	args := []string{"list", "-m", "-json", GatewayAPIModule}
	dir := ""
	if v := moduleVersion(); v != "" {
		// Outside any module, so the user's working directory does not matter.
		args, dir = []string{"mod", "download", "-json", GatewayAPIModule + "@" + v}, os.TempDir()
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.Output()
	var info struct {
		Dir   string
		Error any
	}
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != nil {
		return "", fmt.Errorf("find %s: %v; pass --crds DIR", GatewayAPIModule, info.Error)
	}
	if err != nil || info.Dir == "" {
		return "", fmt.Errorf("find %s with the go command (%v); pass --crds DIR", GatewayAPIModule, err)
	}
	return filepath.Join(info.Dir, experimentalPath), nil
}

// Load reads every CustomResourceDefinition in the YAML files of dir and
// checks that the XBackend CRD is among them.
func Load(dir string) (*Bundle, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read CRD folder: %w; point --crds at gateway-api's %s", err, experimentalPath)
	}
	b := &Bundle{Dir: dir}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			continue
		}
		crds, err := readFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		b.CRDs = append(b.CRDs, crds...)
	}
	for _, crd := range b.CRDs {
		if crd.Name == XBackendCRD {
			b.BundleVersion = crd.Annotations[bundleVersionAnnotation]
			b.Channel = crd.Annotations[ChannelAnnotation]
			if b.Schema, err = gatewayapi.SchemaOf(crd); err != nil {
				return nil, fmt.Errorf("%s: %w", dir, err)
			}
			return b, nil
		}
	}
	return nil, fmt.Errorf("%s has no XBackend CRD (%s); point --crds at gateway-api's %s", dir, XBackendCRD, experimentalPath)
}

func readFile(path string) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []*apiextensionsv1.CustomResourceDefinition
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(doc, &crd); err != nil {
			return nil, fmt.Errorf("parse %s: %w", path, err)
		}
		if crd.Kind == "CustomResourceDefinition" && crd.Spec.Names.Kind != "" {
			out = append(out, &crd)
		}
	}
}
