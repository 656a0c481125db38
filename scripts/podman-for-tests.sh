#!/usr/bin/env bash
# A throwaway Podman for the tests: its Docker-compatible API (`podman system service`) on a socket of its
# own, with its own storage, state and CNI network, and a busybox image built locally (no registry).
#
#   scripts/podman-for-tests.sh start   start it (first time: also build and load the image); print its socket (idempotent)
#   scripts/podman-for-tests.sh stop    remove its containers, stop it, delete its files and its bridge
#   scripts/podman-for-tests.sh socket  print its socket path
#   scripts/podman-for-tests.sh image   print the test image's name
#   scripts/podman-for-tests.sh status  say whether it runs (exit 1 when it does not)
#
# Typical use (the tests call `start` themselves, once per test process; `make test` stops it at the end):
#   socket=$(scripts/podman-for-tests.sh start)
#   podman --url unix://$socket run -d --name web --label app=web $(scripts/podman-for-tests.sh image) httpd -f -p 8080
#
# Only the socket path (or image name) goes to standard output; progress and errors go to standard error.
# Its files live under TAPSTER_PODMAN_DIR (default /var/tmp/tapster-podman). Containers join the CNI bridge
# `tapster-pm0` with addresses from TAPSTER_PODMAN_SUBNET (default 10.250.88.0/24, which no other test
# uses); the host is its gateway (.1), so the host reaches every container. runc cannot set rlimits in
# these VMs, so the containers.conf it runs with has no default ulimits. Needs root.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
base=${TAPSTER_PODMAN_DIR:-/var/tmp/tapster-podman}
subnet=${TAPSTER_PODMAN_SUBNET:-10.250.88.0/24}
bridge=tapster-pm0
network=tapster-test
socket=$base/podman.sock
pidfile=$base/service.pid
log=$base/service.log
image=localhost/tapster-busybox:test
ready_deadline_seconds=${TAPSTER_PODMAN_START_TIMEOUT:-60}

say() { echo "podman-for-tests: $*" >&2; }
# shellcheck source=lib/test-service.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/test-service.sh"
die() { say "$*"; exit 1; }

# podman as a client of our service (everything the tests do goes through its API).
remote() { podman --url "unix://$socket" "$@"; }

ensure_tools() {
    [[ $(id -u) -eq 0 ]] || die "needs root (containers, CNI networking)"
    local tool
    for tool in podman runc conmon curl; do
        command -v "$tool" >/dev/null || die "$tool is missing: run scripts/install-deps.sh (it installs podman)"
    done
    [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local ]] ||
        die "the CNI plugins are missing from /usr/lib/cni: run scripts/install-deps.sh (containernetworking-plugins)"
    [[ -x /bin/busybox ]] && file_is_static /bin/busybox ||
        die "no static /bin/busybox for the test image: run scripts/install-deps.sh (busybox-static)"
}

file_is_static() { ! ldd "$1" >/dev/null 2>&1; }

is_running() {
    [[ -f $pidfile ]] || return 1
    local pid
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ && -e /proc/$pid ]] || return 1
    [[ $(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) != Z ]]
}

answers() {
    curl -sf --max-time 2 --unix-socket "$socket" http://podman/v1.41/_ping >/dev/null 2>&1
}

write_configuration() {
    mkdir -p "$base"/{root,runroot,tmp,networks,cni-ipam}
    # The CNI backend (containernetworking-plugins), with our own network as the default one. No masquerade,
    # firewall or port mapping: the tests need only the host and the containers to reach each other.
    cat >"$base/containers.conf" <<EOF
# podman-for-tests.sh: a throwaway Podman for the tests.
[containers]
# runc cannot set rlimits in these VMs.
default_ulimits = []
[network]
network_backend = "cni"
cni_plugin_dirs = ["/usr/lib/cni"]
network_config_dir = "$base/networks"
default_network = "$network"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOF
    cat >"$base/networks/$network.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$network",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$base/cni-ipam",
        "routes": [{ "dst": "0.0.0.0/0" }],
        "ranges": [[{ "subnet": "$subnet" }]]
      }
    }
  ]
}
EOF
}

wait_ready() { wait_until_ready answers is_running "podman system service" "$log" "$ready_deadline_seconds"; }

# The test image: busybox-static's one binary and its applets, as an OCI archive (scripts/oci-image.sh).
ensure_image() {
    remote image exists "$image" 2>/dev/null && return 0
    say "building $image from /bin/busybox"
    local work
    work=$(mktemp -d "${TMPDIR:-/tmp}/podman-for-tests.XXXXXX")
    mkdir -p "$work/rootfs/bin" "$work/rootfs/tmp" "$work/rootfs/proc" "$work/rootfs/sys" "$work/rootfs/dev" "$work/rootfs/etc"
    cp /bin/busybox "$work/rootfs/bin/busybox"
    local applet
    for applet in $(/bin/busybox --list); do
        [[ $applet == busybox ]] || ln -s busybox "$work/rootfs/bin/$applet"
    done
    "$here/oci-image.sh" --cmd /bin/sh "$work/rootfs" "${image#localhost/}" "$work/image.tar" >/dev/null
    remote load -q -i "$work/image.tar" >/dev/null
    # oci-image.sh names a bare name docker.io/library/<name>; the tests use the localhost/ name.
    remote tag "docker.io/library/${image#localhost/}" "$image"
    rm -rf "$work"
}

start() {
    ensure_tools
    if is_running && answers; then
        ensure_image
        echo "$socket"
        return 0
    fi
    is_running && { wait_ready; ensure_image; echo "$socket"; return 0; }
    write_configuration
    rm -f "$socket"
    say "starting podman system service on $socket (log: $log)"
    # Its own session, so that a test run's end (or Ctrl-C in the shell that started it) does not stop it.
    CONTAINERS_CONF=$base/containers.conf setsid podman --root "$base/root" --runroot "$base/runroot" --tmpdir "$base/tmp" \
        system service --time=0 "unix://$socket" </dev/null >"$log" 2>&1 &
    echo $! >"$pidfile"
    wait_ready
    ensure_image
    echo "$socket"
}

stop() {
    if is_running; then
        say "stopping"
        answers && remote rm -af -t 0 >/dev/null 2>&1 || true
        local pid
        pid=$(cat "$pidfile")
        kill "$pid" 2>/dev/null || true
        local deadline=$((SECONDS + 30))
        while [[ -e /proc/$pid ]] && ((SECONDS < deadline)); do sleep 0.2; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    if [[ -d $base/root ]]; then
        # Whatever is still mounted under our storage (a container the service did not get to remove).
        CONTAINERS_CONF=$base/containers.conf podman --root "$base/root" --runroot "$base/runroot" --tmpdir "$base/tmp" \
            rm -af -t 0 >/dev/null 2>&1 || true
        awk -v base="$base/" 'index($2, base) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null || true
    fi
    ip link del "$bridge" 2>/dev/null || true
    rm -rf "$base"
}

status() { report_status is_running answers "$socket"; }

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    socket) echo "$socket" ;;
    image) echo "$image" ;;
    status) status ;;
    -h | --help | help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) echo "usage: $0 start|stop|socket|image|status" >&2; exit 2 ;;
esac
