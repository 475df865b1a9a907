// Package image writes OCI images for a node that no registry can reach:
// one layer holding a few files (a static binary, or an executable with the
// ELF interpreter and shared libraries it loads), an entrypoint, and
// nothing else. The result is an image tarball in `docker save` form, which
// `ctr images import` reads.
//
//	files, err := image.Executable("/usr/local/bin/xbcheck", "/xbcheck")
//	err = image.Write("xbcheck.tar", "xbcheck.local/xbcheck:dev", image.Spec{
//		Files:      files,
//		Entrypoint: []string{"/xbcheck"},
//	})
package image
