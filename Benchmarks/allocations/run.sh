#!/usr/bin/env bash
# No allocation per packet: builds allocation-bench in release and counts the heap allocations of each
# data-plane hot path (capture → tunnel sink for ERSPAN II/III, VXLAN, GRE-TEB; capture → stream sink; capture → flow sink;
# capture → recorder ring, alone and with a look-back capture; server merge → pcapng writer) over N and 10×N
# packets. Exits non-zero when a path's count grows with N, or when the build fails.
#
#   Benchmarks/allocations/run.sh [N] [REPEATS]       default N = 100000, 3 repeats
#
# Environment: BENCH_SCRATCH (SwiftPM scratch path, default /var/cache/tapster/bench-build). The GRE-based
# tunnels need root (raw sockets); without it they are skipped and said so.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -x /opt/swift/usr/bin/swift ]]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
scratch=${BENCH_SCRATCH:-/var/cache/tapster/bench-build}

echo "building (release, scratch $scratch)"
# A failed build stops here (pipefail): the binary of an earlier build would measure other code.
if ! swift build -c release --package-path "$here" --scratch-path "$scratch" --product allocation-bench 2>&1 \
    | { grep -Ev '^(\[|Building|Compiling|Write)' || true; }; then
    echo "run.sh: build failed" >&2
    exit 1
fi
bin="$scratch/release/allocation-bench"
[[ -x $bin ]] || { echo "run.sh: build failed" >&2; exit 1; }
echo "machine: $(nproc) cores, $(uname -sr), $(swift --version 2>&1 | head -1)"
"$bin" "${1:-100000}" "${2:-3}"
