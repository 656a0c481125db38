#!/usr/bin/env bash
# PacketKit benchmarks: builds them in release, generates the merge inputs, merges them with PacketKit and
# with `mergecap -w` (packets/s and the ratio, goal >= 2x), then prints the per-packet cost of the
# encapsulations, the pcapng writer and the live merger.
#
#   Benchmarks/run.sh [INPUTS] [PACKETS_PER_INPUT]     default 4 inputs x 250000 packets
#
# Environment: BENCH_SCRATCH (SwiftPM scratch path, default /var/cache/tapster/bench-build),
# RUNS (merge runs per tool, default 5), ITERATIONS (packets per per-packet benchmark, default 2000000).
# The inputs go to a temporary directory that is removed on exit.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -x /opt/swift/usr/bin/swift ]]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
scratch=${BENCH_SCRATCH:-/var/cache/tapster/bench-build}
inputs=${1:-4}
packets=${2:-250000}

if ! command -v mergecap >/dev/null 2>&1; then
    echo "run.sh: mergecap is missing (apt-get install wireshark-common)" >&2
    exit 1
fi

echo "building (release, scratch $scratch)"
swift build -c release --package-path "$here" --scratch-path "$scratch" 2>&1 | grep -Ev '^(\[|Building|Compiling|Write)' || true
bin="$scratch/release/packetkit-bench"
[[ -x $bin ]] || { echo "run.sh: build failed" >&2; exit 1; }

data=$(mktemp -d "${TMPDIR:-/tmp}/packetkit-bench.XXXXXX")
trap 'rm -rf "$data"' EXIT
echo "machine: $(nproc) cores, $(mergecap --version | head -1)"
"$bin" generate "$data" "$inputs" "$packets"
"$bin" merge "$data" "${RUNS:-5}"
"$bin" packet "${ITERATIONS:-2000000}"
