#!/usr/bin/env bash
# Flow summarisation offline: builds flow-bench in release, generates a pcapng file of CONNECTIONS short TCP
# connections (handshake, data, FIN or RST; a quarter HTTP/1.1; deterministic from SEED) in a temporary folder,
# feeds it RUNS times through the agent's FlowSink (packets/s, flow records/s), then times
# `tshark -q -z conv,tcp -r FILE` RUNS times on the same file, and prints the ratios. Exits 1 when the agent's
# flows and packets differ from tshark's conversations.
#
#   Benchmarks/flows/run.sh [CONNECTIONS] [RUNS]     default 20000 connections, 5 runs
#
# Environment: BENCH_SCRATCH (SwiftPM scratch path, default /var/cache/tapster/bench-build), SEED (default
# 20261205), SECONDS_SPAN (capture time the connections start over, default 20), FLOW_BENCH_BIN (skip the build).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -x /opt/swift/usr/bin/swift ]]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
scratch=${BENCH_SCRATCH:-/var/cache/tapster/bench-build}
command -v tshark >/dev/null || { echo "run.sh: tshark is missing (apt-get install tshark)" >&2; exit 1; }

if [[ -n ${FLOW_BENCH_BIN:-} ]]; then
    bin=$FLOW_BENCH_BIN
else
    echo "building (release, scratch $scratch)"
    swift build -c release --package-path "$here" --scratch-path "$scratch" --product flow-bench 2>&1 \
        | grep -Ev '^(\[|Building|Compiling|Write)' || true
    bin="$scratch/release/flow-bench"
fi
[[ -x $bin ]] || { echo "run.sh: build failed" >&2; exit 1; }

data=$(mktemp -d "${TMPDIR:-/tmp}/flow-bench.XXXXXX")
trap 'rm -rf "$data"' EXIT
echo "machine: $(nproc) cores, $(uname -sr), $(tshark --version 2>/dev/null | head -1)"
"$bin" generate "$data/connections.pcapng" "${1:-20000}" "${SEED:-20261205}" "${SECONDS_SPAN:-20}"
"$bin" run "$data/connections.pcapng" "${2:-5}"
