#!/usr/bin/env bash
# The agent's cost of watching a Docker Engine API (Podman's, from scripts/podman-for-tests.sh): a real
# `tapster serve` and a real `tapster agent --docker-socket`, with CONTAINERS idle containers running.
#
#   sudo Benchmarks/containers/run.sh                         # builds tapster in release first
#   TAPSTER_BIN=/path/to/tapster CONTAINERS=50 Benchmarks/containers/run.sh
#
# Prints:
#   - idle: the agent's CPU (% of one core) and resident memory over IDLE_SECONDS (default 30) with CONTAINERS
#     (default 50) containers running and nothing changing, and the Podman service's CPU over the same time
#     (what the agent's polling costs the engine);
#   - appear / disappear p50 / p99 / max over SAMPLES (default 20) containers: from `podman run -d` returning
#     (the container runs) to the server listing it (GET /api/v1/workloads, polled every 50 ms), and from
#     `podman rm -f` returning to the server no longer listing it.
# Everything it made is removed on exit (the containers, the server, the agent, its folder); the Podman
# service stays for the tests (scripts/podman-for-tests.sh stop ends it).
set -euo pipefail
bench_name=containers-bench
# shellcheck source=../lib/common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../lib/common.sh"

containers=${CONTAINERS:-50}
samples=${SAMPLES:-20}
idle_seconds=${IDLE_SECONDS:-30}

require_root "containers, the agent"
[[ -x $py ]] || die "$py is missing (Debian's python3)"
make_workspace c containers
install_cleanup
on_cleanup() {
    local ids
    if [[ $1 != 0 && -f $work/agent.log ]]; then echo "the agent's log:" >&2; tail -n 20 "$work/agent.log" >&2; fi
    ids=$(engine ps -aq --filter "label=bench=$prefix" 2>/dev/null) || true
    [[ -z $ids ]] || engine rm -f -t 0 $ids >/dev/null 2>&1 || true
}

build_tapster
socket=$("$repo/scripts/podman-for-tests.sh" start)
image=$("$repo/scripts/podman-for-tests.sh" image)
engine() { podman --url "unix://$socket" "$@"; }
engine_pid=$(cat "$(dirname "$socket")/service.pid")

say "starting $containers idle containers"
for index in $(seq "$containers"); do
    engine run -d --name "$prefix-idle-$index" --label "bench=$prefix" --label app=idle \
        --sysctl net.ipv6.conf.all.disable_ipv6=1 "$image" sleep 1000000 >/dev/null
done

start_server
start_platform_agent docker-socket "$socket"
all_idle_listed() { [[ $(listed "bench=$prefix,app=idle") -ge $containers ]]; }
wait_for 300 "$containers containers listed" all_idle_listed
measure_idle "$engine_pid" "podman service" "$containers containers"

now() { date +%s.%N; }
appear=() disappear=()
say "$samples containers started and removed one at a time"
for index in $(seq "$samples"); do
    name=$prefix-probe-$index
    engine run -d --name "$name" --label "bench=$prefix" --label app=probe \
        --sysctl net.ipv6.conf.all.disable_ipv6=1 "$image" sleep 1000000 >/dev/null
    started=$(now)
    until [[ $(listed "bench=$prefix,app=probe") -ge 1 ]]; do sleep 0.05; done
    appear+=("$("$py" -c "print($(now) - $started)")")
    engine rm -f -t 0 "$name" >/dev/null
    removed=$(now)
    until [[ $(listed "bench=$prefix,app=probe") -eq 0 ]]; do sleep 0.05; done
    disappear+=("$("$py" -c "print($(now) - $removed)")")
done
echo "appear (podman run -> listed by the server): $(delay_summary "${appear[@]}")"
echo "disappear (podman rm -> no longer listed):   $(delay_summary "${disappear[@]}")"
