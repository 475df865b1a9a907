package registry

import (
	"context"
	"fmt"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Push uploads the image tarball (docker save form, as node.ExecutableImage
// writes it) to repository/xbcheck, tagged with its tarball's tag, and
// returns its reference by digest, which pods then pull.
func Push(ctx context.Context, path, repository string, opts ...name.Option) (string, error) {
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return "", fmt.Errorf("read xbcheck's image %s: %w", path, err)
	}
	tag, err := name.NewTag(strings.TrimSuffix(repository, "/")+"/xbcheck:"+tagOf(path), opts...)
	if err != nil {
		return "", fmt.Errorf("--image-registry %q: %v; give a repository such as registry.example.com/team", repository, err)
	}
	if err := remote.Write(tag, img, remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)); err != nil {
		return "", fmt.Errorf("push xbcheck's image to %s: %w", tag, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return "", err
	}
	return tag.Context().Digest(digest.String()).String(), nil
}

// tagOf is the tag in an image tarball's name (xbcheck-<tag>.tar), or
// "latest".
func tagOf(path string) string {
	base := path[strings.LastIndex(path, "/")+1:]
	if tag, ok := strings.CutPrefix(strings.TrimSuffix(base, ".tar"), "xbcheck-"); ok && tag != "" {
		return tag
	}
	return "latest"
}

// CheckArchitectures refuses nodes whose architecture is not this
// executable's: the image holds it, and would not start there.
func CheckArchitectures(nodes map[string]string) error {
	for node, arch := range nodes {
		if arch != "" && arch != runtime.GOARCH {
			return fmt.Errorf("node %s is %s and this xbcheck is %s: its image would not start there; build xbcheck for %s (GOARCH=%s go build ./cmd/xbcheck) and run that, or give --fakes-image", node, arch, runtime.GOARCH, arch, arch)
		}
	}
	return nil
}
