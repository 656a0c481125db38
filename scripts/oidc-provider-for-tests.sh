#!/usr/bin/env bash
# A throwaway OpenID Provider for the tests: oidc-provider-mock (PyPI), any client id and secret, any redirect URI,
# a login form that takes any `sub`, claims set per user with PUT /users/{sub}; in memory only.
#
#   scripts/oidc-provider-for-tests.sh start [OPTION...]  start it; print its issuer URL (idempotent)
#   scripts/oidc-provider-for-tests.sh stop               stop it and delete its files
#   scripts/oidc-provider-for-tests.sh url                print its issuer URL
#   scripts/oidc-provider-for-tests.sh status             say whether it runs (exit 1 when it does not)
#
# Typical use:
#   export TAPSTER_TEST_OIDC_ISSUER=$(scripts/oidc-provider-for-tests.sh start)
#   swift test ...; scripts/oidc-provider-for-tests.sh stop
#
# OPTIONs go to oidc-provider-mock as they are, e.g. --token-max-age 5 (access and ID token lifetime, default 3600 s),
# --require-nonce, --require-registration, --no-refresh-token, --user-claims '{"sub": "alice", "groups": ["g"]}'.
# Starting a running provider with other options is an error: stop it first, or run a second one with its own
# TAPSTER_OIDC_PORT and TAPSTER_OIDC_DIR. Only the URL goes to standard output; progress and errors go to standard
# error. It listens on 127.0.0.1 only (port TAPSTER_OIDC_PORT, default 55480); its issuer is http://127.0.0.1:PORT
# (the provider takes its issuer from the Host header: ask it as 127.0.0.1, not localhost). Its pid file and log live
# under TAPSTER_OIDC_DIR (default /var/tmp/tapster-oidc). A restart gives it a new signing key and forgets all users and
# tokens. The package is installed once into a virtualenv (TAPSTER_OIDC_VENV, default /var/tmp/tapster-oidc-venv, kept
# by stop; about 10 s from PyPI) with the pins of scripts/lib/oidc-provider-mock.requirements.txt. How a test drives
# the provider: docs/dev/oidc-provider-mock.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=${TAPSTER_OIDC_VENV:-/var/tmp/tapster-oidc-venv}
base=${TAPSTER_OIDC_DIR:-/var/tmp/tapster-oidc}
port=${TAPSTER_OIDC_PORT:-55480}
requirements=$here/lib/oidc-provider-mock.requirements.txt
url="http://127.0.0.1:$port"
pidfile=$base/oidc-provider-mock.pid
log=$base/oidc-provider-mock.log
options_file=$base/options
ready_deadline_seconds=${TAPSTER_OIDC_START_TIMEOUT:-30}

say() { echo "oidc-provider-for-tests: $*" >&2; }
# shellcheck source=lib/test-service.sh
source "$here/lib/test-service.sh"
die() { say "$*"; exit 1; }

is_running() { pid_runs "$pidfile" oidc-provider-mock; }

# Ready when its discovery document names our issuer.
is_ready() {
    curl -sf --max-time 2 "$url/.well-known/openid-configuration" 2>/dev/null | grep -qF "\"issuer\": \"$url\""
}

wait_ready() { wait_until_ready is_ready is_running "oidc-provider-mock" "$log" "$ready_deadline_seconds"; }

start() {
    [[ $port =~ ^[0-9]+$ ]] || die "TAPSTER_OIDC_PORT must be a port number, not '$port'"
    command -v curl >/dev/null 2>&1 || die "missing curl (scripts/install-deps.sh installs it)"
    local options=""
    if (($# > 0)); then options=$(printf '%q ' "$@"); fi
    if is_running; then
        local running_options
        running_options=$(cat "$options_file" 2>/dev/null || true)
        if [[ $running_options != "$options" ]]; then
            die "it runs with options [${running_options% }], not [${options% }]: stop it first, or start another with its own TAPSTER_OIDC_PORT and TAPSTER_OIDC_DIR"
        fi
        wait_ready
        echo "$url"
        return 0
    fi
    if port_answers "$port"; then
        die "something else already listens on 127.0.0.1:$port; stop it or set TAPSTER_OIDC_PORT"
    fi
    ensure_venv "$venv" "$requirements" oidc-provider-mock
    mkdir -p "$base"
    printf '%s' "$options" >"$options_file"
    say "starting oidc-provider-mock on $url (log: $log)"
    # setsid: its own session, so that the caller's terminal signals do not reach it. NO_COLOR: a plain log.
    NO_COLOR=1 setsid "$venv/bin/oidc-provider-mock" --host 127.0.0.1 --port "$port" "$@" \
        </dev/null >>"$log" 2>&1 9>&- &
    echo $! >"$pidfile"
    wait_ready
    echo "$url"
}

stop() {
    stop_pid "$pidfile" oidc-provider-mock oidc-provider-mock
    rm -rf "$base"
}

status() { report_status is_running is_ready "$url"; }

# One start or stop at a time (two test runs starting it at once would both install and both start). The server
# must not inherit the lock's descriptor (9>&- above), or it would hold the lock as long as it runs.
lock() {
    mkdir -p "$(dirname "$base")"
    exec 9>"$base.flock"
    flock 9
}

case "${1:-}" in
    start) shift; lock; start "$@" ;;
    stop) lock; stop ;;
    url) echo "$url" ;;
    status) status ;;
    -h | --help | help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) echo "usage: $0 start [OPTION...]|stop|url|status" >&2; exit 2 ;;
esac
