#!/usr/bin/env bash
# A throwaway OpenStack Keystone for the tests: Keystone from PyPI on SQLite, fernet tokens, served by uWSGI on
# loopback, bootstrapped with an `admin` user (project `admin`, domain `Default`, region RegionOne).
#
#   scripts/keystone-for-tests.sh start    create (first time) and start it; print its URL, .../v3 (idempotent)
#   scripts/keystone-for-tests.sh stop     stop it and delete its data
#   scripts/keystone-for-tests.sh url      print its URL
#   scripts/keystone-for-tests.sh status   say whether it runs (exit 1 when it does not)
#   scripts/keystone-for-tests.sh openstack ARG...   the openstack client of its virtualenv, as `admin` (env below)
#
# Typical use:
#   export TAPSTER_TEST_KEYSTONE_URL=$(scripts/keystone-for-tests.sh start)
#   swift test ...; scripts/keystone-for-tests.sh stop
#
# The URL printed is the identity v3 base, http://127.0.0.1:PORT/v3: what OS_AUTH_URL takes and what the catalog lists
# as the identity endpoint; tokens are at $URL/auth/tokens. It listens on 127.0.0.1 only (port TAPSTER_KEYSTONE_PORT,
# default 55500). The admin password is TAPSTER_KEYSTONE_ADMIN_PASSWORD (default keystone-admin); tokens live
# TAPSTER_KEYSTONE_TOKEN_EXPIRATION seconds (default 3600). Its database, keys, configuration and logs live under
# TAPSTER_KEYSTONE_DIR (default /var/tmp/tapster-keystone). Keystone, pyuwsgi, python-openstackclient and
# python-neutronclient (`openstack tap ...`) are installed once into a virtualenv (TAPSTER_KEYSTONE_VENV, default
# /var/tmp/tapster-keystone-venv, kept by stop; about 30 s from PyPI) with the pins of
# scripts/lib/keystone.requirements.txt. The first start (database, keys, bootstrap) takes about 12 s, a start over
# existing data about 3 s. Only the URL goes to standard output; progress and errors go to standard error.
# Users, projects, roles, endpoints and tokens: docs/dev/keystone.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=${TAPSTER_KEYSTONE_VENV:-/var/tmp/tapster-keystone-venv}
base=${TAPSTER_KEYSTONE_DIR:-/var/tmp/tapster-keystone}
port=${TAPSTER_KEYSTONE_PORT:-55500}
admin_password=${TAPSTER_KEYSTONE_ADMIN_PASSWORD:-keystone-admin}
token_expiration=${TAPSTER_KEYSTONE_TOKEN_EXPIRATION:-3600}
requirements=$here/lib/keystone.requirements.txt
url="http://127.0.0.1:$port/v3"
config=$base/keystone.conf
pidfile=$base/uwsgi.pid
log=$base/uwsgi.log
setup_log=$base/setup.log
ready_deadline_seconds=${TAPSTER_KEYSTONE_START_TIMEOUT:-60}
# What the uWSGI processes' command lines hold (pid_runs), besides the port.
app_module=keystone.wsgi.api:application

say() { echo "keystone-for-tests: $*" >&2; }
# shellcheck source=lib/test-service.sh
source "$here/lib/test-service.sh"
die() { say "$*"; exit 1; }

# Keystone's modules warn that eventlet is deprecated on every import; the warnings say nothing about the tests.
export PYTHONWARNINGS=ignore

is_running() { pid_runs "$pidfile" "$app_module"; }

# Ready when the v3 version document answers.
is_ready() {
    curl -sf --max-time 2 "$url" 2>/dev/null | grep -qF '"id": "v3'
}

wait_ready() { wait_until_ready is_ready is_running "Keystone" "$log" "$ready_deadline_seconds"; }

write_config() {
    cat >"$config" <<EOF
# keystone-for-tests.sh: a throwaway Keystone for the tests.
[DEFAULT]
log_file = $base/keystone.log
use_stderr = false

[database]
connection = sqlite:///$base/keystone.db

[identity]
# bcrypt's least work (default 12): a password check takes about 1 ms instead of 0.3 s, and tests log in a lot.
password_hash_rounds = 4

[token]
provider = fernet
expiration = $token_expiration

[fernet_tokens]
key_repository = $base/fernet-keys

[fernet_receipts]
key_repository = $base/fernet-keys

[credential]
key_repository = $base/credential-keys
EOF
}

configured_expiration() { awk -F' = ' '$1 == "expiration" { print $2 }' "$config" 2>/dev/null; }

manage() {
    if ! "$venv/bin/keystone-manage" --config-file "$config" "$@" >>"$setup_log" 2>&1; then
        say "keystone-manage $1 failed; the end of $setup_log and $base/keystone.log:"
        tail -n 20 "$setup_log" "$base/keystone.log" >&2 || true
        exit 1
    fi
}

# The database, the fernet and credential keys, and keystone-manage bootstrap: the admin user, project and role, the
# roles reader, member, manager, admin and service, region RegionOne, and the identity endpoints (all three at $url).
setup() {
    # Made again when made for another URL (the catalog's identity endpoints name it) or another admin password.
    [[ $(cat "$base/bootstrapped" 2>/dev/null) == "$url $admin_password" ]] && return 0
    say "creating Keystone's database and keys in $base"
    rm -rf "$base"
    mkdir -p "$base"
    chmod 700 "$base"
    write_config
    local user group
    user=$(id -un)
    group=$(id -gn)
    manage db_sync
    manage fernet_setup --keystone-user "$user" --keystone-group "$group"
    manage credential_setup --keystone-user "$user" --keystone-group "$group"
    manage bootstrap --bootstrap-password "$admin_password" --bootstrap-username admin \
        --bootstrap-project-name admin --bootstrap-role-name admin --bootstrap-service-name keystone \
        --bootstrap-region-id RegionOne \
        --bootstrap-admin-url "$url" --bootstrap-internal-url "$url" --bootstrap-public-url "$url"
    echo "$url $admin_password" >"$base/bootstrapped"
}

start() {
    [[ $port =~ ^[0-9]+$ ]] || die "TAPSTER_KEYSTONE_PORT must be a port number, not '$port'"
    [[ $token_expiration =~ ^[0-9]+$ ]] || die "TAPSTER_KEYSTONE_TOKEN_EXPIRATION must be seconds, not '$token_expiration'"
    command -v curl >/dev/null 2>&1 || die "missing curl (scripts/install-deps.sh installs it)"
    if is_running; then
        local running_expiration
        running_expiration=$(configured_expiration)
        if [[ $running_expiration != "$token_expiration" ]]; then
            die "it runs with tokens of ${running_expiration} s, not $token_expiration s: stop it first, or start another with its own TAPSTER_KEYSTONE_PORT and TAPSTER_KEYSTONE_DIR"
        fi
        wait_ready
        echo "$url"
        return 0
    fi
    if port_answers "$port"; then
        die "something else already listens on 127.0.0.1:$port; stop it or set TAPSTER_KEYSTONE_PORT"
    fi
    ensure_venv "$venv" "$requirements" "Keystone, uWSGI and the openstack client"
    setup
    write_config # this start's token lifetime
    say "starting Keystone on $url (log: $log, Keystone's own: $base/keystone.log)"
    # uWSGI's HTTP router (--http) in front of one worker with one thread: it keeps connections alive, and requests
    # take turns, because SQLite answers concurrent writers (every password sign-in updates the user's
    # last_active_at) "database is locked" and uWSGI then answers nothing. With --http-socket instead, the worker closes each connection after one answer without
    # saying so, and a client that reuses it (python-requests does) gets "connection reset" now and then; with
    # --http11-socket each idle kept-alive connection holds a thread. setsid: its own session. 9>&-: the server does
    # not inherit our lock.
    OS_KEYSTONE_CONFIG_FILES=$config setsid "$venv/bin/uwsgi" --http "127.0.0.1:$port" --http-keepalive \
        --module "$app_module" --master --processes 1 --threads 1 --die-on-term --need-app \
        --buffer-size 65535 </dev/null >>"$log" 2>&1 9>&- &
    echo $! >"$pidfile"
    wait_ready
    echo "$url"
}

stop() {
    local children=""
    if is_running; then children=$(pgrep -P "$(cat "$pidfile")" 2>/dev/null || true); fi
    stop_pid "$pidfile" "$app_module" "Keystone (uWSGI)"
    # The master reaps its worker and HTTP router when it stops; make sure that none outlives it.
    local child
    for child in $children; do
        if tr '\0' ' ' 2>/dev/null <"/proc/$child/cmdline" | grep -qF "$app_module"; then
            kill -KILL "$child" 2>/dev/null || true
        fi
    done
    rm -rf "$base"
}

status() { report_status is_running is_ready "$url"; }

# The openstack client of the virtualenv, authenticated as the bootstrap admin on project admin.
openstack_as_admin() {
    [[ -x $venv/bin/openstack ]] || die "no openstack client in $venv yet (run start first)"
    env -u OS_CLOUD -u OS_TOKEN -u OS_ENDPOINT -u OS_AUTH_TYPE \
        OS_AUTH_URL="$url" OS_IDENTITY_API_VERSION=3 OS_INTERFACE=public OS_REGION_NAME=RegionOne \
        OS_USERNAME=admin OS_PASSWORD="$admin_password" OS_PROJECT_NAME=admin \
        OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default \
        "$venv/bin/openstack" "$@"
}

# One start or stop at a time (two test runs starting it at once would both set it up and both start it).
lock() {
    mkdir -p "$(dirname "$base")"
    exec 9>"$base.flock"
    flock 9
}

case "${1:-}" in
    start) lock; start ;;
    stop) lock; stop ;;
    url) echo "$url" ;;
    status) status ;;
    openstack) shift; openstack_as_admin "$@" ;;
    -h | --help | help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) echo "usage: $0 start|stop|url|status|openstack ARG..." >&2; exit 2 ;;
esac
