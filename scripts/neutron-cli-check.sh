#!/usr/bin/env bash
# Drives Tapster's Neutron TaaS compatibility API with the stock OpenStack client
# (python-openstackclient + python-neutronclient, whose plugin has `openstack tap service|flow|mirror`),
# without Keystone: OS_AUTH_TYPE=admin_token, OS_TOKEN=<Tapster API token>, OS_ENDPOINT=<server>.
#
#   scripts/neutron-cli-check.sh                 start `tapster serve` on a free loopback port with a
#                                                fresh data directory, check, stop it
#   TAPSTER_SERVER=http://127.0.0.1:7380 TAPSTER_TOKEN=<admin token> scripts/neutron-cli-check.sh
#                                                check a running server (adds a tenant and a workload)
#
# The client is installed once into a virtualenv (TAPSTER_OSC_VENV, default /var/tmp/tapster-osc-venv;
# about 20 s from PyPI). TAPSTER_BIN names the tapster executable (default .build/debug/tapster).
# Not part of CI: it needs PyPI the first time. Exit status 0 when every step passed.
set -euo pipefail

venv=${TAPSTER_OSC_VENV:-/var/tmp/tapster-osc-venv}
bin=${TAPSTER_BIN:-.build/debug/tapster}
say() { echo "neutron-cli-check: $*" >&2; }
die() { say "FAILED: $*"; exit 1; }

if [[ ! -x $venv/bin/openstack ]]; then
    say "installing python-openstackclient and python-neutronclient into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet python-openstackclient python-neutronclient
fi

server_pid=""
data_dir=""
cleanup() {
    if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    if [[ -n $data_dir ]]; then rm -rf "$data_dir"; fi
}
trap cleanup EXIT

if [[ -z ${TAPSTER_SERVER:-} ]]; then
    [[ -x $bin ]] || die "no tapster executable at $bin (swift build, or set TAPSTER_BIN)"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    data_dir=$(mktemp -d)
    TAPSTER_TOKEN="tap_cli_check_$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
    TAPSTER_SERVER="http://127.0.0.1:$port"
    TAPSTER_ADMIN_TOKEN=$TAPSTER_TOKEN "$bin" serve --listen "127.0.0.1:$port" --data-dir "$data_dir" --log-level warning \
        >"$data_dir/serve.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do curl -sf "$TAPSTER_SERVER/healthz" >/dev/null && break; sleep 0.2; done
    curl -sf "$TAPSTER_SERVER/healthz" >/dev/null || die "the server did not start: $(cat "$data_dir/serve.log")"
fi
: "${TAPSTER_TOKEN:?set TAPSTER_TOKEN to an admin API token of $TAPSTER_SERVER}"

native() { # METHOD PATH [JSON]
    curl -sf -X "$1" -H "Authorization: Bearer $TAPSTER_TOKEN" -H 'Content-Type: application/json' \
        ${3:+--data "$3"} "$TAPSTER_SERVER/api/v1$2" >/dev/null || die "$1 /api/v1$2"
}
uuid() { python3 -c 'import uuid; print(uuid.uuid4())'; }

suffix=$(python3 -c 'import secrets; print(secrets.token_hex(3))')
tenant="cli-$suffix"
monitor=$(uuid)
source=$(uuid)
native POST /tenants "{\"name\": \"$tenant\"}"
native POST /workloads "{\"name\": \"mon-$suffix\", \"kind\": \"vm\", \"host\": \"node-cli\", \"tenant\": \"$tenant\",
    \"interfaces\": [{\"id\": \"$monitor\", \"name\": \"eth0\", \"ips\": [\"10.9.0.2\"]}]}"
native POST /workloads "{\"name\": \"app-$suffix\", \"kind\": \"vm\", \"host\": \"node-cli\", \"tenant\": \"$tenant\",
    \"interfaces\": [{\"id\": \"$source\", \"name\": \"eth0\", \"ips\": [\"10.9.0.3\"]}]}"

export OS_AUTH_TYPE=admin_token OS_TOKEN=$TAPSTER_TOKEN OS_ENDPOINT=$TAPSTER_SERVER
unset OS_CLOUD OS_AUTH_URL OS_USERNAME OS_PASSWORD OS_PROJECT_NAME 2>/dev/null || true
os() { # a step: the command line after `openstack`
    local out
    say "openstack $*"
    out=$("$venv/bin/openstack" "$@" 2>&1) || die "openstack $*: $out"
    printf '%s\n' "$out"
}
field() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])" 2>/dev/null; }
expect_in() { grep -q -- "$1" <<<"$2" || die "expected $1 in: $2"; }

service=$(os tap service create --name "svc-$suffix" --port "mon-$suffix/eth0" -f json | field id)
expect_in "$service" "$(os tap service list -f value -c ID)"
expect_in "$monitor" "$(os tap service show "svc-$suffix" -f json)"
flow=$(os tap flow create --name "flow-$suffix" --port "$source" --tap-service "svc-$suffix" --direction BOTH \
    --vlan-filter 10,20-30 -f json | field id)
expect_in "$flow" "$(os tap flow list -f value -c ID)"
expect_in ACTIVE "$(os tap flow show "$flow" -f json)"
os tap flow update --name "renamed-$suffix" "$flow" >/dev/null
expect_in "renamed-$suffix" "$(os tap flow show "$flow" -f json)"
os tap flow delete "$flow" >/dev/null
os tap service delete "svc-$suffix" >/dev/null
tunnel=$((RANDOM % 1000 + 1))
mirror=$(os tap mirror create --name "mir-$suffix" --port "$source" --directions IN=$tunnel --directions OUT=$((tunnel + 1)) \
    --remote-ip 192.0.2.50 --mirror-type erspanv1 -f json | field id)
expect_in "$mirror" "$(os tap mirror list -f value -c ID)"
expect_in "\"OUT\": $((tunnel + 1))" "$(os tap mirror show "$mirror" -f json)"
os tap mirror delete "$mirror" >/dev/null
say "passed: tap service, flow and mirror create / list / show / update / delete with the openstack client"
