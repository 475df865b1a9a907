package registry

import (
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcr "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestPushUploadsTheImageByDigest(t *testing.T) {
	srv := httptest.NewServer(ggcr.New())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "xbcheck-0123456789abcdef.tar")
	local, _ := name.NewTag("xbcheck.local/xbcheck:0123456789abcdef")
	if err := tarball.WriteToFile(path, local, img); err != nil {
		t.Fatal(err)
	}
	ref, err := Push(t.Context(), path, host+"/ci", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	if ref != host+"/ci/xbcheck@"+want.String() {
		t.Errorf("pushed as %s, want %s/ci/xbcheck@%s", ref, host, want)
	}
	for _, r := range []string{ref, host + "/ci/xbcheck:0123456789abcdef"} {
		parsed, err := name.ParseReference(r, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		got, err := remote.Image(parsed)
		if err != nil {
			t.Fatalf("pull %s: %v", r, err)
		}
		if d, _ := got.Digest(); d != want {
			t.Errorf("%s has digest %s, want %s", r, d, want)
		}
	}
}

func TestPushNamesABadRepository(t *testing.T) {
	_, err := Push(t.Context(), "/nonexistent.tar", "x")
	if err == nil || !strings.Contains(err.Error(), "/nonexistent.tar") {
		t.Errorf("push of a missing tarball: %v", err)
	}
}

func TestNodesOfAnotherArchitectureAreRefused(t *testing.T) {
	if err := CheckArchitectures(map[string]string{"a": runtime.GOARCH, "b": runtime.GOARCH}); err != nil {
		t.Errorf("nodes of this architecture: %v", err)
	}
	other := "arm64"
	if runtime.GOARCH == other {
		other = "amd64"
	}
	err := CheckArchitectures(map[string]string{"a": runtime.GOARCH, "b": other})
	if err == nil || !strings.Contains(err.Error(), "node b is "+other) || !strings.Contains(err.Error(), "GOARCH="+other) {
		t.Errorf("a node of %s: %v; want it named with what to build", other, err)
	}
}
