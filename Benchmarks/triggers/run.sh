#!/usr/bin/env bash
# Trigger latency: webhook received -> first packet in the stored capture, p50 and p99 over FIRINGS firings in a
# row (default 5), with a real `tapster serve` and agent in network namespaces and live TCP traffic through the
# triggered workload. The measurement is the end-to-end test "trigger latency over firings in a row"
# (Tests/EndToEndTests/TriggerEndToEndTests.swift): the webhook's arrival is `received_at` in each trigger.fired
# audit event, the first packet the earliest in the downloaded pcapng at or after it. The test makes and removes
# its namespaces, server, agent and files whatever happens.
#
#   Benchmarks/triggers/run.sh                 (as root)
#   FIRINGS=20 Benchmarks/triggers/run.sh
#
# Environment:
#   FIRINGS         how many firings (default 5)
#   SCRATCH         SwiftPM scratch path (default /var/cache/tapster/build); the debug build the suite uses
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
scratch=${SCRATCH:-/var/cache/tapster/build}
[[ $(id -u) == 0 ]] || { echo "trigger-bench: run as root (it makes network namespaces)" >&2; exit 2; }
swift build --build-tests --scratch-path "$scratch" --jobs 2 >/dev/null 2>&1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! TRIGGER_FIRINGS=${FIRINGS:-5} swift test --skip-build --scratch-path "$scratch" \
        --filter 'TriggerEndToEndTests/latencyOverFirings' >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "trigger-bench: the measurement failed" >&2
    exit 1
fi
line=$(grep -o 'trigger latency over [0-9].*' "$log")
echo "$line"
# The goal (docs/triggers.md): every firing's capture has its first packet within 2 s of the webhook's arrival. The
# test prints the figures and does not assert them (a timed assertion would fail on a loaded machine, not on a slow
# Tapster); the judgement is here.
max=$(sed -n 's/.*max \([0-9.]*\) ms.*/\1/p' <<<"$line")
[[ -n $max ]] || { echo "trigger-bench: no latency line in the test's output" >&2; exit 1; }
awk -v max="$max" 'BEGIN { met = (max + 0 < 2000); printf "goal: every firing < 2000 ms: %s (max %s ms)\n", (met ? "met" : "NOT met"), max; exit !met }'
