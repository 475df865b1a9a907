package binaries

import (
	"fmt"
	"strings"
)

// Sites are the base URLs of the official release sites. Zero fields
// mean the real sites; tests point them at a local server.
type Sites struct {
	// Kubernetes serves kube-apiserver, the kubelet, kube-controller-manager,
	// kube-scheduler and kube-proxy with a .sha256 file beside each binary;
	// default https://dl.k8s.io/release.
	Kubernetes string
	// GitHub serves the release assets of etcd, containerd, runc, the CNI
	// plugins and CoreDNS with the checksum files each project publishes;
	// default https://github.com.
	GitHub string
}

func (s *Sites) defaults() {
	if s.Kubernetes == "" {
		s.Kubernetes = "https://dl.k8s.io/release"
	}
	if s.GitHub == "" {
		s.GitHub = "https://github.com"
	}
}

// artifact is one file of an official release: a bare binary or an
// archive holding one or more of xbcheck's binaries, and the checksum
// file its project publishes next to it.
type artifact struct {
	// url is the file, sums the checksum file: one bare hex digest, or
	// lines of "<digest>  <file name>" (sha256sum's format).
	url, sums string
	// members maps each binary the file provides to its path inside the
	// archive; a bare binary maps its one name to "".
	members map[string]string
}

// fileName is the last element of a's URL, as checksum files name it.
func (a artifact) fileName() string { return a.url[strings.LastIndex(a.url, "/")+1:] }

// releaseOf returns the official release file that provides binary for
// goos/goarch at the pinned version, or an error saying why there is
// none (xbcheck's own pause program; a platform the projects publish no
// binaries for).
func releaseOf(s Sites, binary, goos, goarch string) (artifact, error) {
	if goos != "linux" || (goarch != "amd64" && goarch != "arm64") {
		return artifact{}, fmt.Errorf("no official %s binary for %s/%s", binary, goos, goarch)
	}
	gh := func(repo, tag, file string) string {
		return fmt.Sprintf("%s/%s/releases/download/%s/%s", s.GitHub, repo, tag, file)
	}
	switch binary {
	case KubeAPIServer, Kubelet, KubeControllerManager, KubeScheduler, KubeProxy:
		u := fmt.Sprintf("%s/%s/bin/%s/%s/%s", s.Kubernetes, KubernetesVersion, goos, goarch, binary)
		return artifact{url: u, sums: u + ".sha256", members: map[string]string{binary: ""}}, nil
	case Etcd:
		name := fmt.Sprintf("etcd-%s-%s-%s", EtcdVersion, goos, goarch)
		return artifact{
			url:     gh("etcd-io/etcd", EtcdVersion, name+".tar.gz"),
			sums:    gh("etcd-io/etcd", EtcdVersion, "SHA256SUMS"),
			members: map[string]string{Etcd: name + "/etcd"},
		}, nil
	case Containerd, ContainerdShim, Ctr:
		// The static build, as xbcheck builds it (CGO_ENABLED=0).
		u := gh("containerd/containerd", ContainerdVersion, fmt.Sprintf("containerd-static-%s-%s-%s.tar.gz", strings.TrimPrefix(ContainerdVersion, "v"), goos, goarch))
		return artifact{url: u, sums: u + ".sha256sum", members: map[string]string{
			Containerd: "bin/" + Containerd, ContainerdShim: "bin/" + ContainerdShim, Ctr: "bin/" + Ctr,
		}}, nil
	case Runc:
		// Static, with libseccomp linked in (the seccomp tag xbcheck builds with).
		return artifact{
			url:     gh("opencontainers/runc", RuncVersion, "runc."+goarch),
			sums:    gh("opencontainers/runc", RuncVersion, "runc.sha256sum"),
			members: map[string]string{Runc: ""},
		}, nil
	case CNIBridge, CNIHostLocal, CNILoopback:
		u := gh("containernetworking/plugins", CNIPluginsVersion, fmt.Sprintf("cni-plugins-%s-%s-%s.tgz", goos, goarch, CNIPluginsVersion))
		return artifact{url: u, sums: u + ".sha256", members: map[string]string{
			CNIBridge: CNIBridge, CNIHostLocal: CNIHostLocal, CNILoopback: CNILoopback,
		}}, nil
	case CoreDNS:
		u := gh("coredns/coredns", CoreDNSVersion, fmt.Sprintf("coredns_%s_%s_%s.tgz", strings.TrimPrefix(CoreDNSVersion, "v"), goos, goarch))
		return artifact{url: u, sums: u + ".sha256", members: map[string]string{CoreDNS: CoreDNS}}, nil
	}
	return artifact{}, fmt.Errorf("%s is xbcheck's own; it has no release to download", binary)
}
