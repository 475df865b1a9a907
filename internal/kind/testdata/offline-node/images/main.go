// Command images writes the images kubeadm v1.37.2 runs the control plane
// from (kube-apiserver, kube-controller-manager, kube-scheduler, etcd,
// kube-proxy, CoreDNS, pause), one layer each, from the binaries xbcheck
// builds, under the names kubeadm expects, so that a kind node needs no
// registry. kube-proxy gets this host's iptables (nf_tables) with its
// extensions.
//
//	go run ./internal/kind/testdata/offline-node/images CACHE_ENTRY OUT_DIR
package main

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xbcheck/xbcheck/internal/node/image"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: images CACHE_ENTRY OUT_DIR (CACHE_ENTRY: ~/.cache/xbcheck/k8s/1.37.2-linux-amd64)")
		os.Exit(2)
	}
	c, out := os.Args[1], os.Args[2]
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	// Names and tags are kubeadm v1.37.2's (cmd/kubeadm/app/constants);
	// etcd and CoreDNS are the versions xbcheck builds under those tags.
	for _, img := range []struct{ ref, bin, dest string }{
		{"registry.k8s.io/kube-apiserver:v1.37.2", "kube-apiserver", "/usr/local/bin/kube-apiserver"},
		{"registry.k8s.io/kube-controller-manager:v1.37.2", "kube-controller-manager", "/usr/local/bin/kube-controller-manager"},
		{"registry.k8s.io/kube-scheduler:v1.37.2", "kube-scheduler", "/usr/local/bin/kube-scheduler"},
		{"registry.k8s.io/etcd:3.7.0-0", "etcd", "/usr/local/bin/etcd"},
		{"registry.k8s.io/kube-proxy:v1.37.2", "kube-proxy", "/usr/local/bin/kube-proxy"},
		{"registry.k8s.io/coredns/coredns:v1.14.6", "coredns-v1.15.0/coredns", "/coredns"},
		{"registry.k8s.io/pause:3.10.2", "pause-v1/pause", "/pause"},
	} {
		files, err := image.Executable(filepath.Join(c, img.bin), img.dest)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if img.bin == "kube-proxy" {
			more, err := iptables()
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			for _, f := range more {
				if !slices.ContainsFunc(files, func(g image.File) bool { return g.Path == f.Path }) {
					files = append(files, f)
				}
			}
		}
		name := strings.NewReplacer("/", "_", ":", "_").Replace(img.ref) + ".tar"
		if err := image.Write(filepath.Join(out, name), img.ref, image.Spec{Files: files, Entrypoint: []string{img.dest}, Env: env}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(img.ref)
	}
}

// iptables returns the host's xtables-nft-multi under the names kube-proxy
// runs (it dispatches on its name), with its libraries and the extensions
// it loads at run time.
func iptables() ([]image.File, error) {
	const multi = "/usr/sbin/xtables-nft-multi"
	files, err := image.Executable(multi, multi)
	if err != nil {
		return nil, fmt.Errorf("kube-proxy needs iptables: %w (apt-get install iptables)", err)
	}
	for _, v := range []string{"iptables", "ip6tables"} {
		for _, suffix := range []string{"", "-save", "-restore"} {
			files = append(files, image.File{Path: "/usr/sbin/" + v + suffix, Source: multi})
		}
	}
	// The extensions have no interpreter, so image.Executable leaves their
	// libraries out (libm for the statistic match kube-proxy uses).
	exts, _ := filepath.Glob("/usr/lib/*-linux-gnu/xtables/*.so")
	add := func(path string) {
		if !slices.ContainsFunc(files, func(g image.File) bool { return g.Path == path }) {
			files = append(files, image.File{Path: path, Source: path})
		}
	}
	for _, e := range exts {
		add(e)
		f, err := elf.Open(e)
		if err != nil {
			return nil, err
		}
		libs, _ := f.ImportedLibraries()
		f.Close()
		for _, lib := range libs {
			found, _ := filepath.Glob(filepath.Join("/usr/lib/*-linux-gnu", lib))
			if len(found) == 0 {
				return nil, fmt.Errorf("%s needs %s, not found", e, lib)
			}
			add(found[0])
		}
	}
	return files, nil
}
