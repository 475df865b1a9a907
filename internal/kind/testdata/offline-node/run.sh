#!/bin/bash
# run.sh CMD ARGS...: runs CMD next to a Docker daemon that lives in private
# network, mount and PID namespaces made for it (its bridges, addresses and
# iptables rules never touch the host's), with `docker run --privileged`
# working through runc-drop-sys-resource, and the node image of build.sh
# imported as xbcheck.local/kind-node:v1.37.2. CMD gets DOCKER_HOST,
# XBCHECK_KIND_NODE_IMAGE and XBCHECK_KIND_CONFIG. When CMD ends, every
# container, the daemon, its data and its namespaces go. Needs root and
# Debian's docker.io.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/xbcheck-offline-node}
if [ "${1:-}" != --inside ]; then
  [ -f "$OUT/node.tar" ] || { echo "run.sh: no $OUT/node.tar: run build.sh first" >&2; exit 2; }
  data=$(mktemp -d /tmp/xbcheck-dockerd-XXXXXX)
  # Docker makes /lib/modules on the host for kind's bind mount when it is missing.
  modules=$([ -e /lib/modules ] && echo keep || echo remove)
  unshare --net --mount --pid --fork --mount-proc "$0" --inside "$data" "$@"
  rc=$?
  rm -rf "$data"
  [ "$modules" = remove ] && rmdir /lib/modules 2>/dev/null
  exit $rc
fi
shift; data=$1; shift
mount --make-rprivate /
ip link set lo up
mount -t tmpfs tmpfs /run
REAL_RUNC=$(command -v runc) dockerd --data-root "$data/root" --exec-root /run/docker-exec -H unix:///run/docker.sock --pidfile /run/docker.pid \
  --add-runtime xbcheck-runc="$HERE/runc-drop-sys-resource" --default-runtime xbcheck-runc > "$data/dockerd.log" 2>&1 &
export DOCKER_HOST=unix:///run/docker.sock
for _ in $(seq 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
docker info >/dev/null || { tail "$data/dockerd.log"; exit 1; }
t0=$(date +%s)
docker import --change 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]' --change 'ENV container=docker' \
  "$OUT/node.tar" xbcheck.local/kind-node:v1.37.2 >/dev/null || exit 1
echo "run.sh: node image imported in $(( $(date +%s) - t0 ))s" >&2
export XBCHECK_KIND_NODE_IMAGE=xbcheck.local/kind-node:v1.37.2 XBCHECK_KIND_CONFIG=$HERE/kind-config.yaml
"$@"
rc=$?
docker ps -aq | xargs -r docker rm -f >/dev/null
kill %1
wait
exit $rc
