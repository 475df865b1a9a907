#!/bin/bash
# run.sh CMD ARGS...: runs CMD next to a container engine (RUNTIME=docker, the
# default: a Docker daemon; RUNTIME=podman: rootful Podman) that lives in
# private network, mount and PID namespaces made for it (its bridges,
# addresses and iptables rules never touch the host's), with
# `run --privileged` working through runc-drop-sys-resource, and the node
# image of build.sh imported as xbcheck.local/kind-node:v1.37.2. CMD gets
# DOCKER_HOST or KIND_EXPERIMENTAL_PROVIDER=podman, XBCHECK_KIND_NODE_IMAGE
# and XBCHECK_KIND_CONFIG. When CMD ends, every container, the engine, its
# data and its namespaces go. Needs root and Debian's docker.io or podman.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/xbcheck-offline-node}
RUNTIME=${RUNTIME:-docker}
if [ "${1:-}" != --inside ]; then
  [ -f "$OUT/node.tar" ] || { echo "run.sh: no $OUT/node.tar: run build.sh first" >&2; exit 2; }
  data=$(mktemp -d /tmp/xbcheck-engine-XXXXXX)
  # kind bind-mounts /lib/modules, and Podman's CNI keeps its leases in
  # /var/lib/cni: made here when missing (the namespace puts a tmpfs on the
  # second), removed afterwards.
  made=()
  for d in /lib/modules /var/lib/cni /etc/cni/net.d; do
    [ -e "$d" ] || { mkdir -p "$d" && made+=("$d"); }
  done
  unshare --net --mount --pid --fork --mount-proc "$0" --inside "$data" "$@"
  rc=$?
  rm -rf "$data"
  for d in "${made[@]}"; do rmdir "$d"; done
  exit $rc
fi
shift; data=$1; shift
mount --make-rprivate /
ip link set lo up
mount -t tmpfs tmpfs /run
export XBCHECK_KIND_NODE_IMAGE=xbcheck.local/kind-node:v1.37.2 XBCHECK_KIND_CONFIG=$HERE/kind-config.yaml
import=(--change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' --change 'ENV container=docker' "$OUT/node.tar" "$XBCHECK_KIND_NODE_IMAGE")
t0=$(date +%s)
case $RUNTIME in
docker)
  REAL_RUNC=$(command -v runc) dockerd --data-root "$data/root" --exec-root /run/docker-exec -H unix:///run/docker.sock --pidfile /run/docker.pid \
    --add-runtime xbcheck-runc="$HERE/runc-drop-sys-resource" --default-runtime xbcheck-runc > "$data/dockerd.log" 2>&1 &
  export DOCKER_HOST=unix:///run/docker.sock
  for _ in $(seq 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
  docker info >/dev/null || { tail "$data/dockerd.log"; exit 1; }
  docker import "${import[@]}" >/dev/null || exit 1
  ;;
podman)
  mount -t tmpfs tmpfs /etc/cni/net.d
  mount -t tmpfs tmpfs /var/lib/cni
  printf '[engine]\nruntime = "xbcheck-runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n[engine.runtimes]\nxbcheck-runc = ["%s"]\n' "$HERE/runc-drop-sys-resource" > "$data/containers.conf"
  printf '[storage]\ndriver = "overlay"\ngraphroot = "%s"\nrunroot = "/run/containers-storage"\n' "$data/root" > "$data/storage.conf"
  export CONTAINERS_CONF=$data/containers.conf CONTAINERS_STORAGE_CONF=$data/storage.conf KIND_EXPERIMENTAL_PROVIDER=podman
  podman import --quiet "${import[@]}" >/dev/null || exit 1
  ;;
*) echo "run.sh: RUNTIME=$RUNTIME: give docker or podman" >&2; exit 2 ;;
esac
echo "run.sh: node image imported into $RUNTIME in $(( $(date +%s) - t0 ))s" >&2
"$@"
rc=$?
$RUNTIME ps -aq | xargs -r "$RUNTIME" rm -f >/dev/null
[ "$RUNTIME" = docker ] && kill %1 && wait
exit $rc
