#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests: trust auth, loopback only, fsync off.
#
#   scripts/postgres-for-tests.sh start   create (first time) and start it; print its URL (idempotent)
#   scripts/postgres-for-tests.sh stop    stop it and delete its data
#   scripts/postgres-for-tests.sh url     print its URL
#   scripts/postgres-for-tests.sh status  say whether it runs (exit 1 when it does not)
#
# Typical use:
#   export TAPSTER_TEST_POSTGRES_URL=$(scripts/postgres-for-tests.sh start)
#   swift test ...; scripts/postgres-for-tests.sh stop
#
# Only the URL goes to standard output; progress and errors go to standard error.
# It listens on 127.0.0.1 only (port TAPSTER_PG_PORT, default 55432) with its unix socket in
# its own directory, so it never meets a system PostgreSQL. Its files live under
# TAPSTER_PG_DIR (default /var/tmp/tapster-pg). Run as root, the server runs as the `postgres`
# user; run as anyone else, it runs as that user. Installs Debian's `postgresql` when missing.
set -euo pipefail

version=15
bin=/usr/lib/postgresql/$version/bin
base=${TAPSTER_PG_DIR:-/var/tmp/tapster-pg}
port=${TAPSTER_PG_PORT:-55432}
data=$base/data
socket_dir=$base/run
log=$base/postgres.log
url="postgres://postgres@127.0.0.1:$port/postgres"
ready_deadline_seconds=${TAPSTER_PG_START_TIMEOUT:-60}
# Enough for the suite: its tests run side by side, and some run whole replicas (a pool of up to 8 each, plus a LISTEN connection).
max_connections=${TAPSTER_PG_MAX_CONNECTIONS:-500}

say() { echo "postgres-for-tests: $*" >&2; }
# shellcheck source=lib/test-service.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/test-service.sh"
die() { say "$*"; exit 1; }

# Runs a command as the cluster's owner.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

ensure_installed() {
    [[ -x $bin/postgres && -x $bin/initdb && -x $bin/pg_ctl && -x $bin/pg_isready ]] && return 0
    [[ $(id -u) -eq 0 ]] || die "PostgreSQL $version is not installed at $bin; run as root to install Debian's postgresql"
    say "installing Debian's postgresql (PostgreSQL $version)"
    export DEBIAN_FRONTEND=noninteractive
    local apt=(apt-get -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0 -y -qq --no-install-recommends)
    if ! "${apt[@]}" install postgresql >/dev/null 2>&1; then
        say "install failed with the current package lists; running apt-get update"
        apt-get -o DPkg::Lock::Timeout=600 -qq update >&2
        "${apt[@]}" install postgresql >/dev/null
    fi
    [[ -x $bin/postgres ]] || die "installed postgresql, but $bin/postgres is missing (is this Debian 12?)"
}

is_ready() {
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1 >/dev/null 2>&1
}

# Whether the server of *our* data directory runs: its postmaster.pid names a live process
# (not a zombie left by a crash, which pg_ctl would take for a running server).
is_ours_running() {
    [[ -f $data/postmaster.pid ]] || return 1
    local pid state
    pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    state=$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || return 1
    [[ -n $state && $state != Z ]]
}

# Waits a little for a crashed postmaster's zombie to be reaped, so that a new one may start.
wait_for_stale_postmaster() {
    [[ -f $data/postmaster.pid ]] || return 0
    local pid deadline=$((SECONDS + 15))
    pid=$(head -n 1 "$data/postmaster.pid" 2>/dev/null) || return 0
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    while [[ -e /proc/$pid ]] && ((SECONDS < deadline)); do sleep 0.2; done
}

init_cluster() {
    [[ -f $data/PG_VERSION ]] && return 0
    [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1 && die "no 'postgres' user (the postgresql package creates it)"
    say "creating a cluster in $data"
    rm -rf "$data"
    mkdir -p "$base" "$socket_dir"
    if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$base" "$socket_dir"; fi
    chmod 700 "$base"
    as_owner "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
    cat >>"$data/postgresql.conf" <<EOF

# postgres-for-tests.sh: a throwaway test cluster.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$socket_dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = $max_connections
EOF
    cat >"$data/pg_hba.conf" <<EOF
# postgres-for-tests.sh: trust, for the local socket and IPv4 loopback only.
local all all trust
host  all all 127.0.0.1/32 trust
EOF
    if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$data/pg_hba.conf"; fi
}

start() {
    ensure_installed
    if is_ours_running; then
        is_ready || wait_ready
        echo "$url"
        return 0
    fi
    if is_ready; then
        die "something else already answers on 127.0.0.1:$port; stop it or set TAPSTER_PG_PORT"
    fi
    init_cluster
    wait_for_stale_postmaster
    mkdir -p "$socket_dir"
    if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$socket_dir"; fi
    say "starting PostgreSQL $version on 127.0.0.1:$port (log: $log)"
    touch "$log"
    if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$log"; fi
    # pg_ctl -w returns as soon as the server is up, or fails at once if the postmaster exits.
    # max_connections on the command line, so that a cluster made by an older version of this script gets it
    # too: the suite runs several whole replicas (each a pool and a LISTEN connection) beside its other tests.
    if ! as_owner "$bin/pg_ctl" -D "$data" -l "$log" -w -t "$ready_deadline_seconds" -o "-c max_connections=$max_connections" start >/dev/null; then
        say "PostgreSQL did not start; the end of $log:"
        tail -n 20 "$log" >&2 || true
        exit 1
    fi
    wait_ready
    echo "$url"
}

wait_ready() { wait_until_ready is_ready is_ours_running "PostgreSQL" "$log" "$ready_deadline_seconds"; }

stop() {
    if [[ -f $data/PG_VERSION ]] && [[ -x $bin/pg_ctl ]]; then
        if is_ours_running; then
            say "stopping"
            as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
        fi
    fi
    rm -rf "$base"
}

status() { report_status is_ours_running is_ready "$url"; }

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) echo "$url" ;;
    status) status ;;
    -h | --help | help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) echo "usage: $0 start|stop|url|status" >&2; exit 2 ;;
esac
