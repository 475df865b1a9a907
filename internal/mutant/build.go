package mutant

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Build writes the schemata to a temporary folder and builds pkg (e.g.
// ./cmd/xbcheck) of the module at root with them in place of the
// reference's sources (go build -overlay); the checked-in files are not
// touched. It returns the binary and a cleanup that removes the folder.
func (s *Set) Build(ctx context.Context, root, pkg string) (binary string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "xbcheck-mutants-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { _ = os.RemoveAll(dir) }
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	overlayFile, err := s.WriteOverlay(root, dir)
	if err != nil {
		return "", nil, err
	}
	binary = filepath.Join(dir, "xbcheck-mutants")
	cmd := exec.CommandContext(ctx, "go", "build", "-overlay", overlayFile, "-o", binary, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("building the mutant schemata (go build -overlay %s %s): %v\n%s", overlayFile, pkg, err, strings.TrimSpace(string(out)))
	}
	return binary, cleanup, nil
}

// WriteOverlay writes the schemata under dir/src and, as dir/overlay.json,
// the overlay that puts them in place of root's sources for go build and
// go test (-overlay); it returns the overlay's path.
func (s *Set) WriteOverlay(root, dir string) (string, error) {
	overlay := map[string]string{}
	for rel, text := range s.files {
		gen := filepath.Join(dir, "src", filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(gen), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(gen, text, 0o644); err != nil {
			return "", err
		}
		abs, err := filepath.Abs(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return "", err
		}
		overlay[abs] = gen
	}
	data, err := json.Marshal(map[string]any{"Replace": overlay})
	if err != nil {
		return "", err
	}
	overlayFile := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlayFile, data, 0o644); err != nil {
		return "", err
	}
	return overlayFile, nil
}
