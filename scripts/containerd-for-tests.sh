#!/usr/bin/env bash
# A throwaway containerd with its CRI for the tests: own root, state and socket, a CNI bridge network of
# its own, and a sandbox image built locally from busybox-static (there is no registry).
#
#   scripts/containerd-for-tests.sh start   start it (first time: build and import the image); print its socket (idempotent)
#   scripts/containerd-for-tests.sh stop    remove its pods, stop it and delete its files
#   scripts/containerd-for-tests.sh socket  print its socket
#   scripts/containerd-for-tests.sh status  say whether it runs (exit 1 when it does not)
#
# Typical use:
#   export TAPSTER_TEST_CONTAINERD_SOCKET=$(scripts/containerd-for-tests.sh start)
#   swift test ...; scripts/containerd-for-tests.sh stop
#
# Only the socket goes to standard output; progress and errors go to standard error. Its files live under
# TAPSTER_CONTAINERD_DIR (default /var/tmp/tapster-containerd); pods get addresses on the bridge
# `tapcri0`, 10.66.0.0/16 (TAPSTER_CONTAINERD_SUBNET), which no other test uses (theirs are 10.100-250.x).
# The image docker.io/library/tapster-busybox:1 (/bin/busybox and its applet links) is the sandbox image
# and the image of the tests' containers. Needs root and Debian's containerd, runc,
# containernetworking-plugins and busybox-static (a missing one is an error, not a skip).
set -euo pipefail
cd "$(dirname "$0")/.."

base=${TAPSTER_CONTAINERD_DIR:-/var/tmp/tapster-containerd}
subnet=${TAPSTER_CONTAINERD_SUBNET:-10.66.0.0/16}
socket=$base/containerd.sock
config=$base/config.toml
log=$base/containerd.log
pidfile=$base/containerd.pid
image=docker.io/library/tapster-busybox:1
ready_deadline_seconds=${TAPSTER_CONTAINERD_START_TIMEOUT:-60}

say() { echo "containerd-for-tests: $*" >&2; }
# shellcheck source=lib/test-service.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/test-service.sh"
die() { say "$*"; exit 1; }

require() {
    [[ $(id -u) -eq 0 ]] || die "needs root (containerd runs pods in namespaces)"
    local missing=()
    command -v containerd >/dev/null || missing+=(containerd)
    command -v ctr >/dev/null || missing+=("ctr (containerd)")
    command -v runc >/dev/null || missing+=(runc)
    [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] || missing+=(containernetworking-plugins)
    [[ -x /bin/busybox ]] || missing+=(busybox-static)
    ((${#missing[@]} == 0)) || die "missing: ${missing[*]} (scripts/install-deps.sh installs them)"
}

ctr_() { ctr --address "$socket" --namespace k8s.io "$@"; }

is_running() {
    [[ -f $pidfile ]] || return 1
    local pid state
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    state=$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || return 1
    [[ -n $state && $state != Z ]]
}

is_ready() {
    [[ -S $socket ]] && ctr --address "$socket" version >/dev/null 2>&1
}

write_config() {
    mkdir -p "$base/root" "$base/state" "$base/cni/net.d" "$base/cni/ipam"
    cat >"$config" <<EOF
# containerd-for-tests.sh: a throwaway containerd for the tests.
version = 2
root = "$base/root"
state = "$base/state"
# Plugins with host-wide paths or devices of their own, which the tests do not need.
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$socket"
[ttrpc]
  address = "$socket.ttrpc"
[debug]
  address = "$base/debug.sock"
[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$image"
  # This VM refuses oom_score_adj below the parent's and has no cgroup controllers to delegate.
  restrict_oom_score_adj = true
  disable_cgroup = true
  disable_apparmor = true
  enable_selinux = false
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # Pods' namespaces under our state directory, not /var/run/netns, where other tests' agents would list them.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$base/cni/net.d"
    max_conf_num = 1
EOF
    cat >"$base/cni/net.d/10-tapster-test.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "tapster-test",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "tapcri0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$base/cni/ipam",
        "ranges": [[{ "subnet": "$subnet" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "loopback" }
  ]
}
EOF
}

# The image: /bin/busybox and a link per applet, as an OCI archive (scripts/oci-image.sh), imported once.
import_image() {
    ctr_ images ls -q 2>/dev/null | grep -qxF "$image" && return 0
    local work=$base/image
    rm -rf "$work" && mkdir -p "$work/rootfs/bin" "$work/rootfs/tmp" "$work/rootfs/etc"
    cp /bin/busybox "$work/rootfs/bin/busybox"
    local applet
    for applet in $(/bin/busybox --list); do
        [[ $applet == busybox ]] || ln -sf busybox "$work/rootfs/bin/$applet"
    done
    echo "root:x:0:0:root:/:/bin/sh" >"$work/rootfs/etc/passwd"
    echo "root:x:0:" >"$work/rootfs/etc/group"
    say "building and importing $image"
    scripts/oci-image.sh --entrypoint /bin/busybox --cmd sleep --cmd infinity "$work/rootfs" tapster-busybox:1 "$work/image.tar" >/dev/null
    ctr_ images import "$work/image.tar" >/dev/null
    ctr_ images ls -q | grep -qxF "$image" || die "imported $work/image.tar, but containerd does not list $image"
}

start() {
    require
    if is_running; then
        wait_ready
        import_image
        echo "$socket"
        return 0
    fi
    write_config
    say "starting containerd (socket $socket, log $log)"
    rm -f "$socket" "$socket.ttrpc"
    setsid containerd --config "$config" </dev/null >>"$log" 2>&1 &
    echo $! >"$pidfile"
    wait_ready
    import_image
    echo "$socket"
}

wait_ready() { wait_until_ready is_ready is_running "containerd" "$log" "$ready_deadline_seconds"; }

# Stops and removes every pod (through the CRI's containers and tasks), so no namespace, mount or shim outlives it.
remove_pods() {
    local id
    for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
    for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$id" >/dev/null 2>&1 || true; done
    for id in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers delete "$id" >/dev/null 2>&1 || true; done
}

stop() {
    if is_running; then
        say "stopping"
        remove_pods
        local pid deadline=$((SECONDS + 30))
        pid=$(cat "$pidfile")
        kill -TERM "$pid" 2>/dev/null || true
        while [[ -e /proc/$pid ]] && ((SECONDS < deadline)); do sleep 0.2; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    # Shims of pods left behind (their state is under our directory) and the namespaces CNI made for them.
    local shim
    for shim in $(pgrep -f "containerd-shim-runc-v2 .*-address $socket" 2>/dev/null); do kill -KILL "$shim" 2>/dev/null || true; done
    if [[ -d $base ]]; then
        # `|| true`: with no mount left grep fails, and under pipefail that would end the clean-up here.
        { grep -F " $base/" /proc/self/mounts || true; } | awk '{ print $2 }' | sort -r | while read -r mount; do umount -l "$mount" 2>/dev/null || true; done
    fi
    ip link delete tapcri0 2>/dev/null || true
    rm -rf "$base"
}

status() { report_status is_running is_ready "$socket"; }

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    socket) echo "$socket" ;;
    status) status ;;
    -h | --help | help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) echo "usage: $0 start|stop|socket|status" >&2; exit 2 ;;
esac
