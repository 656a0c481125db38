#!/usr/bin/env bash
# The fleet benchmark: N simulated agents (real join-token enrolment, mutual-TLS gRPC control channels, inventory
# of W workloads each, status reports, desired sets applied; no capture) in one process against a real
# `tapster serve` (release build, SQLite unless serve arguments say otherwise), for each N:
#   - tap create -> every agent applied it: p50/p99/max (a tap on app=web, one workload on each of the N hosts);
#   - the server's CPU seconds and resident memory (VmRSS) per connected agent;
#   - the time for all N agents to reconnect after `kill -9` and a restart on the same database.
#
#   Benchmarks/fleet/run.sh [--agents 100,1000,5000] [--workloads 20] [--taps 5] [--status-interval 1] [-- SERVE ARGS...]
#
# Environment: BENCH_SCRATCH (SwiftPM scratch path, default /var/cache/tapster/bench-build); TAPSTER_BIN (use this
# tapster binary instead of the release build from this tree). Everything it starts is stopped on exit, and its
# temporary folders removed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -x /opt/swift/usr/bin/swift ]]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
scratch=${BENCH_SCRATCH:-/var/cache/tapster/bench-build}

# Each agent holds a socket in this process and one in the server (which inherits the limit): 5,000 agents need
# more than 10,000 descriptors with the server's own files.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(uname -r); open files: $(ulimit -n)"

echo "building (release, scratch $scratch)"
log=$(mktemp "${TMPDIR:-/tmp}/fleet-bench-build.XXXXXX")
trap 'rm -f "$log"' EXIT
# build PRODUCT: the release build of PRODUCT (of this package or the tapster package it depends on).
build() {
    swift build -c release --package-path "$here/.." --scratch-path "$scratch" --product "$1" --disable-build-manifest-caching >"$log" 2>&1 \
        || { tail -n 30 "$log" >&2; echo "fleet-bench: the release build of $1 failed" >&2; exit 1; }
}
build fleet-bench
[[ -n ${TAPSTER_BIN:-} ]] || build tapster
tapster=${TAPSTER_BIN:-$scratch/release/tapster}
[[ -x $tapster ]] || { echo "fleet-bench: no tapster binary at $tapster" >&2; exit 1; }

# The benchmark starts and restarts the server itself (in its own process group, stopped when it ends).
"$scratch/release/fleet-bench" --tapster "$tapster" "$@"
