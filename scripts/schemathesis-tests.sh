#!/usr/bin/env bash
# Schemathesis (PyPI) against the OpenAPI document a real `tapster serve` serves (/api/v1/openapi.json),
# on a fresh data directory and a free loopback port: once as the admin, once as an owner of one tenant
# (tenant, owner and token made through the API first). It checks that no request gets a 5xx, that every
# answer (status, content type, headers, body) is one the document declares, that every request the
# document forbids (a pattern, a type, a bound) is refused with a 4xx, and that a method the document does
# not declare on a path answers 405 with an `Allow` header.
#
# Left out: `positive_data_acceptance` (a request the document allows must succeed). The document carries
# every syntactic rule the server enforces (names, label keys and selectors, durations, free text,
# interfaces), but not the semantic ones no JSON Schema can state: a referenced tenant, filter or target must
# exist, a duration or bandwidth must lie within its range, fields depend on a target's kind and a user's
# role. Run it by hand with SCHEMATHESIS_CHECKS=positive_data_acceptance to see exactly those.
#
#   scripts/schemathesis-tests.sh
#
# Environment: SCRATCH (SwiftPM build folder, default /var/cache/tapster/build), SWIFT (default swift),
# SCHEMATHESIS_CHECKS (the checks, comma-separated; default: the list below),
# SCHEMATHESIS_MAX_EXAMPLES (default 12), SCHEMATHESIS_SEED (default 9; printed either way).
# Schemathesis is installed by scripts/install-deps.sh; a missing or different version is a failure.
# The server and its data directory are removed whatever happens. The last line is `N passed, N failed`.
#
# The coverage phase is left out: Schemathesis 4.32.5's own generator fails there now and then on
# POST /api/v1/filters/preview ("Inconsistent results", an error of its own, not an answer of the server).
# No operation is excluded: every operation of the document, destructive ones included, runs against this
# throw-away server. (The admin run may delete or demote users it created itself; the admin's own token
# cannot be revoked by a generated request short of guessing its id.)
set -euo pipefail
cd "$(dirname "$0")/.."

required_version="$(sed -n "s/^schemathesis_requirement='schemathesis==\(.*\)'$/\1/p" scripts/install-deps.sh)"
installed_version="$(python3 -c 'import schemathesis; print(schemathesis.__version__)' 2>/dev/null || true)"
if [[ -z $installed_version || $installed_version != "$required_version" ]]; then
    echo "schemathesis-tests: schemathesis $required_version is not installed for $(command -v python3) (found '${installed_version:-none}'); run scripts/install-deps.sh" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

[[ -x /opt/swift/usr/bin/swift ]] && export PATH="/opt/swift/usr/bin:$PATH"
scratch="${SCRATCH:-/var/cache/tapster/build}"
mkdir -p "$scratch" 2>/dev/null && [[ -w "$scratch" ]] || scratch="$PWD/.build"
"${SWIFT:-swift}" build --scratch-path "$scratch" --product tapster >/dev/null
binary="$("${SWIFT:-swift}" build --scratch-path "$scratch" --show-bin-path)/tapster"

work="$(mktemp -d /tmp/tapster-schemathesis-XXXXXX)"
server_pid=""
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
port="$(free_port)"
agent_port="$(free_port)"
admin_token="tap_schemathesis_admin_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
base="http://127.0.0.1:$port"

env -i TAPSTER_ADMIN_TOKEN="$admin_token" HOME="$work" PATH=/usr/bin:/bin \
    "$binary" serve --listen "127.0.0.1:$port" --agent-listen "127.0.0.1:$agent_port" --data-dir "$work/data" \
    >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { echo "schemathesis-tests: tapster serve exited:" >&2; cat "$work/server.log" >&2; exit 1; }
    sleep 0.1
done
curl -fsS "$base/healthz" >/dev/null

# An owner of tenant `shop`, with an API token.
api() { curl -fsS -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' "$@"; }
api -X POST "$base/api/v1/tenants" -d '{"name":"shop"}' >/dev/null
api -X POST "$base/api/v1/users" -d '{"name":"alice","role":"owner","tenants":["shop"]}' >/dev/null
owner_token="$(api -X POST "$base/api/v1/users/alice/tokens" -d '{"name":"schemathesis"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')"

max_examples="${SCHEMATHESIS_MAX_EXAMPLES:-12}"
seed="${SCHEMATHESIS_SEED:-9}"
checks=${SCHEMATHESIS_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,unsupported_method,allow_header_conformance}
echo "schemathesis $installed_version against $base (seed $seed, at most $max_examples examples per operation; SCHEMATHESIS_SEED repeats it)"

passed=0
failed=0
for role in admin owner; do
    token="$admin_token"
    [[ $role == owner ]] && token="$owner_token"
    echo "== as $role"
    if (cd "$work" && python3 -m schemathesis.cli run "$base/api/v1/openapi.json" --url "$base" \
        -H "Authorization: Bearer $token" --checks "$checks" --max-examples "$max_examples" --seed "$seed" \
        --phases examples,fuzzing,stateful --workers 2 --request-timeout 20 --no-shrink --warnings off); then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "schemathesis-tests: the run as $role failed; server log: " >&2
        tail -n 40 "$work/server.log" >&2
    fi
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
