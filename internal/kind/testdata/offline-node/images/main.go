// Command images writes the images kubeadm v1.37.2 runs the control plane
// from (kube-apiserver, kube-controller-manager, kube-scheduler, etcd,
// CoreDNS, pause), one layer each, from the binaries xbcheck builds, under
// the names kubeadm expects, so that a kind node needs no registry.
//
//	go run ./internal/kind/testdata/offline-node/images CACHE_ENTRY OUT_DIR
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/xbcheck/xbcheck/internal/node/image"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: images CACHE_ENTRY OUT_DIR (CACHE_ENTRY: ~/.cache/xbcheck/k8s/1.37.2-linux-amd64)")
		os.Exit(2)
	}
	c, out := os.Args[1], os.Args[2]
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	// Names and tags are kubeadm v1.37.2's (cmd/kubeadm/app/constants);
	// etcd and CoreDNS are the versions xbcheck builds under those tags.
	for _, img := range []struct{ ref, bin, dest string }{
		{"registry.k8s.io/kube-apiserver:v1.37.2", "kube-apiserver", "/usr/local/bin/kube-apiserver"},
		{"registry.k8s.io/kube-controller-manager:v1.37.2", "kube-controller-manager", "/usr/local/bin/kube-controller-manager"},
		{"registry.k8s.io/kube-scheduler:v1.37.2", "kube-scheduler", "/usr/local/bin/kube-scheduler"},
		{"registry.k8s.io/etcd:3.7.0-0", "etcd", "/usr/local/bin/etcd"},
		{"registry.k8s.io/coredns/coredns:v1.14.6", "coredns-v1.15.0/coredns", "/coredns"},
		{"registry.k8s.io/pause:3.10.2", "pause-v1/pause", "/pause"},
	} {
		files, err := image.Executable(filepath.Join(c, img.bin), img.dest)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		name := strings.NewReplacer("/", "_", ":", "_").Replace(img.ref) + ".tar"
		if err := image.Write(filepath.Join(out, name), img.ref, image.Spec{Files: files, Entrypoint: []string{img.dest}, Env: env}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(img.ref)
	}
}
