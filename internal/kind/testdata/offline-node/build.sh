#!/bin/bash
# Builds a kind node image for Kubernetes v1.37.2 with no registry: a Debian
# root file system (mmdebstrap) with systemd, kind's own base files (from the
# sigs.k8s.io/kind module), containerd, runc, the CNI plugins and the kubelet
# that xbcheck builds (xbcheck setup --provider node), kubeadm and kubectl
# built here from the Go module proxy, and the control-plane images as
# one-layer images (./images). It writes $OUT/node.tar, a root file system
# for `docker import` (run.sh does it). Needs root, go, mmdebstrap.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../../.." && pwd)
OUT=${OUT:-/tmp/xbcheck-offline-node}
K8S=v1.37.2
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/xbcheck/k8s/${K8S#v}-linux-amd64
export GOTOOLCHAIN=local
for f in kubelet containerd-v2.4.2/containerd runc-v1.5.3-seccomp/runc cni-plugins-v1.10.0/bridge coredns-v1.15.0/coredns pause-v1/pause kube-apiserver etcd kube-controller-manager kube-scheduler; do
  [ -x "$CACHE/$f" ] || { echo "build.sh: $CACHE/$f is missing: run xbcheck setup --provider node first" >&2; exit 2; }
done
KIND=$(cd "$REPO" && go list -m -f '{{.Dir}}' sigs.k8s.io/kind)/images/base/files
mkdir -p "$OUT/bin" "$OUT/images"
t0=$(date +%s)

# kubeadm and kubectl, from the same wrapper module as the kubelet.
if [ ! -x "$OUT/bin/kubeadm" ] || [ ! -x "$OUT/bin/kubectl" ]; then
  w=$(mktemp -d)
  gomod=$(cd /tmp && go mod download -json k8s.io/kubernetes@$K8S | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
  { printf 'module xbcheck.local/build/kubeadm\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' $K8S
    grep -E '^\s*k8s.io/[a-z0-9-]+ => ./staging' "$gomod" | awk -v v=v0${K8S#v1} '{print "\t"$1" => "$1" "v}'
    printf ')\n'; } > "$w/go.mod"
  for b in kubeadm kubectl; do
    (cd "$w" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "-X k8s.io/component-base/version.gitVersion=$K8S" -o "$OUT/bin/$b" k8s.io/kubernetes/cmd/$b)
  done
  rm -rf "$w"
fi
echo "kubeadm, kubectl: $(( $(date +%s) - t0 ))s"

# The control-plane images.
(cd "$REPO" && go run ./internal/kind/testdata/offline-node/images "$CACHE" "$OUT/images")

# The root file system, as kind's base image Dockerfile makes it.
R="$OUT/rootfs"
rm -rf "$R"
mmdebstrap --quiet --variant=minbase \
  --include=systemd,dbus,iptables,nftables,iproute2,ethtool,conntrack,util-linux,mount,kmod,libseccomp2,procps,ca-certificates,bash,sed,jq,findutils,socat,e2fsprogs \
  bookworm "$R"
echo "root file system: $(( $(date +%s) - t0 ))s"
install -m 0755 "$KIND"/usr/local/bin/* "$R/usr/local/bin/"
mkdir -p "$R/kind/bin" "$R/etc/containerd" "$R/etc/default" "$R/etc/sysctl.d" "$R/etc/systemd/system/kubelet.service.d"
install -m 0755 "$KIND"/kind/bin/* "$R/kind/bin/"
install -m 0644 "$KIND/etc/crictl.yaml" "$R/etc/"
install -m 0644 "$KIND/etc/containerd/config.toml" "$R/etc/containerd/"
install -m 0644 "$KIND/etc/default/kubelet" "$R/etc/default/"
install -m 0644 "$KIND"/etc/sysctl.d/* "$R/etc/sysctl.d/"
install -m 0644 "$KIND"/etc/systemd/system/*.service "$KIND"/etc/systemd/system/*.slice "$R/etc/systemd/system/"
install -m 0644 "$KIND"/etc/systemd/system/kubelet.service.d/* "$R/etc/systemd/system/kubelet.service.d/"
find "$R/lib/systemd/system/sysinit.target.wants/" -name systemd-tmpfiles-setup.service -delete
rm -f "$R"/lib/systemd/system/multi-user.target.wants/* "$R"/etc/systemd/system/*.wants/* "$R"/lib/systemd/system/local-fs.target.wants/* \
  "$R"/lib/systemd/system/sockets.target.wants/*udev* "$R"/lib/systemd/system/sockets.target.wants/*initctl* "$R"/lib/systemd/system/basic.target.wants/*
echo "ReadKMsg=no" >> "$R/etc/systemd/journald.conf"
ln -sf /usr/lib/systemd/systemd "$R/sbin/init"
mkdir -p "$R/etc/systemd/system/multi-user.target.wants" "$R/etc/kubernetes/manifests"
for s in kubelet containerd undo-mount-hacks xbcheck-images; do
  ln -sf /etc/systemd/system/$s.service "$R/etc/systemd/system/multi-user.target.wants/$s.service"
done
ln -sf /dev/null "$R/etc/systemd/system/systemd-binfmt.service"
# Where the capability bounding set lacks CAP_SYS_RESOURCE, no process may
# lower its OOM score: containerd's unit would fail, and pods need
# containerd to clamp their scores.
sed -i '/^OOMScoreAdjust/d' "$R/etc/systemd/system/containerd.service"
sed -i 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/; s#sandbox_image = .*#sandbox_image = "registry.k8s.io/pause:3.10.2"#' "$R/etc/containerd/config.toml"
# Runtime, CNI plugins, Kubernetes.
install -m 0755 "$CACHE"/containerd-v2.4.2/{containerd,ctr,containerd-shim-runc-v2} "$R/usr/local/bin/"
install -m 0755 "$CACHE/runc-v1.5.3-seccomp/runc" "$R/usr/local/sbin/runc"
mkdir -p "$R/opt/cni/bin" && install -m 0755 "$CACHE"/cni-plugins-v1.10.0/* "$R/opt/cni/bin/"
install -m 0755 "$CACHE/kubelet" "$OUT/bin/kubeadm" "$OUT/bin/kubectl" "$R/usr/bin/"
"$CACHE/containerd-v2.4.2/ctr" oci spec | python3 -c '
import json, sys
s = json.load(sys.stdin)
s.setdefault("hooks", {}).setdefault("createContainer", []).append({"path": "/kind/bin/mount-product-files.sh"})
s["process"].pop("rlimits", None)
json.dump(s, sys.stdout, indent=1)' > "$R/etc/containerd/cri-base.json"
echo $K8S > "$R/kind/version"
# One node, no kindnetd image: a static bridge network (kind-config.yaml
# turns kind's own CNI off).
mkdir -p "$R/etc/cni/net.d"
cat > "$R/etc/cni/net.d/10-bridge.conflist" <<'EOT'
{"cniVersion": "1.0.0", "name": "kind", "plugins": [
 {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
  "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}]}}]}
EOT
# The control-plane images are imported before the kubelet starts (kind's
# own node images hold them in containerd's store already).
mkdir -p "$R/kind/images" && cp "$OUT"/images/*.tar "$R/kind/images/"
cat > "$R/etc/systemd/system/xbcheck-images.service" <<'EOT'
[Unit]
Description=Import the control-plane images before the kubelet runs
After=containerd.service
Requires=containerd.service
Before=kubelet.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStartPre=/bin/sh -c 'until /usr/local/bin/ctr version >/dev/null 2>&1; do sleep 0.2; done'
ExecStart=/bin/sh -c 'for f in /kind/images/*.tar; do /usr/local/bin/ctr -n k8s.io images import --all-platforms "$f"; done'
[Install]
WantedBy=multi-user.target
EOT
cat > "$R/etc/systemd/system/kubelet.service.d/20-xbcheck-images.conf" <<'EOT'
[Unit]
After=xbcheck-images.service
Wants=xbcheck-images.service
EOT
tar -C "$R" -cf "$OUT/node.tar" . && rm -rf "$R"
echo "node image root file system $OUT/node.tar ($(du -h "$OUT/node.tar" | cut -f1)) in $(( $(date +%s) - t0 ))s"
