#!/usr/bin/env bash
# Regenerates scripts/agent-symbol-order.txt: the functions `tapster-agent` enters from its start until it is
# enrolled and idle, then those its first taps add, which the linker places first in `.text` (lld
# --symbol-ordering-file in scripts/release-swift-flags), so that the code an idle agent has run sits in a few
# contiguous megabytes instead of 64 KiB fault-around windows all over 34 MB (Benchmarks/README.md, "Functions
# placed together"). Needs root: Benchmarks/agent/run.sh makes network namespaces.
#
#   scripts/agent-symbol-order.sh      (as root; builds tapster and tapster-agent in release first, minutes the
#                                      first time)
#
# What it does:
#   1. builds both products with scripts/release-swift-flags (every function in its own section, already ordered
#      by the current list: the trace below does not depend on the order);
#   2. compiles scripts/entrytrace.c, a small ptrace tracer (cc), which runs the agent with a one-shot breakpoint
#      (int3) on the first byte of every function of its `.text` (llvm-nm, symbols with a size) and writes each
#      function's first entry (its own messages in a log of their own; the agent's output stays in run.sh's log);
#   3. runs Benchmarks/agent/run.sh with the agent under it: enrolled and idle for IDLE_SECONDS (SKIP_LATENCY=1
#      SKIP_RATE=1), then twice through run.sh's activation-latency part (TAPS taps, SKIP_RATE=1), with the kernel
#      datapath (run.sh's default) and with the userspace one (the agent's);
#   4. writes scripts/agent-symbol-order.txt: the names of the functions entered idle, in address order, then
#      those that only the taps entered, in address order;
#   5. relinks tapster-agent with the new list, prints where the listed functions now are and the agent's idle VmRSS
#      (run.sh, after `echo 1 > /proc/sys/vm/drop_caches`).
# Run it again when the agent's code has changed much: names no longer in the binary are ignored by the linker
# (--no-warn-symbol-ordering) and new functions land after the list, which only costs memory, never correctness.
#
# Environment:
#   SCRATCH         SwiftPM scratch path (default /var/cache/tapster/symbol-order)
#   IDLE_SECONDS    how long the agent stays idle under the tracer after run.sh's idle figure (default 20)
#   TAPS            taps of each taps run (default 50, run.sh's least)
#   MEASURE=0       leave out step 5's relink and measurement
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
say() { echo "agent-symbol-order: $*" >&2; }
die() { say "$*"; exit 1; }
[[ $EUID == 0 ]] || die "run as root (Benchmarks/agent/run.sh makes network namespaces)"
[[ -x /opt/swift/usr/bin/swift ]] && export PATH=/opt/swift/usr/bin:$PATH
for tool in swift cc llvm-nm llvm-readelf; do command -v "$tool" >/dev/null || die "needs $tool, which is not on PATH"; done
py=/usr/bin/python3
[[ -x $py ]] || die "$py is missing"
scratch=${SCRATCH:-/var/cache/tapster/symbol-order}
idle_seconds=${IDLE_SECONDS:-20}
taps=${TAPS:-50}
order=$root/scripts/agent-symbol-order.txt

work=$(mktemp -d "${TMPDIR:-/tmp}/agent-symbol-order.XXXXXX")
bench_pid=""
finish() {
    if [[ -n $bench_pid ]]; then
        kill -TERM "$bench_pid" 2>/dev/null || true
        wait "$bench_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap finish EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------------------------------------ 1. build
read -ra release_flags <<<"$(grep -v '^#' scripts/release-swift-flags | tr '\n' ' ')"
for product in tapster tapster-agent; do
    say "building $product (release, scratch $scratch)"
    swift build -c release "${release_flags[@]}" --scratch-path "$scratch" --product "$product" >>"$work/build.log" 2>&1 \
        || { tail -n 30 "$work/build.log" >&2; die "the release build of $product failed"; }
done
bin=$scratch/release
agent=$(realpath "$bin/tapster-agent")

# ------------------------------------------------------------------------------------------------ 2. tracer
cc -Wall -Wextra -O2 -o "$work/entrytrace" scripts/entrytrace.c || die "cannot compile scripts/entrytrace.c"

# Every function symbol with a size, once: `ADDRESS SIZE NAME` (hex; aliases share an address), and the addresses the
# tracer breaks on.
# Names may hold spaces (`get_witness_table Sci…`): everything after the third field is the name.
llvm-nm --defined-only --print-size --no-sort "$agent" >"$work/nm.txt"
"$py" - "$work/nm.txt" "$work/functions.txt" "$work/addresses" <<'PY'
import sys
addresses = set()
with open(sys.argv[2], "w") as functions:
    for line in open(sys.argv[1]):
        parts = line.rstrip("\n").split(" ", 3)
        if len(parts) == 4 and parts[2] in ("t", "T", "W", "w") and int(parts[1], 16) > 0:
            functions.write(f"{parts[0]} {parts[1]} {parts[3]}\n")
            addresses.add(int(parts[0], 16))
with open(sys.argv[3], "w") as out:
    out.writelines(f"{a:x}\n" for a in sorted(addresses))
PY
cat >"$work/traced-agent" <<SH
#!/bin/sh
exec "$work/entrytrace" "$work/addresses" "\$TRACE_OUT" "\$TRACE_OUT.log" "$agent" "\$@"
SH
chmod +x "$work/traced-agent"

# ------------------------------------------------------------------------------------------------ 3. runs
# trace NAME WAIT ENV...: runs run.sh (HOLD=1) with the agent under the tracer and ENV, until it holds, then WAIT
# seconds more; keeps the first entries up to then in $work/NAME.hits (not the agent's shutdown).
trace() {
    local name=$1 wait=$2; shift 2
    say "run.sh with the agent under the tracer: $name ($*)"
    env TRACE_OUT="$work/$name.raw" TAPSTER_BIN="$bin/tapster" TAPSTER_AGENT_BIN="$work/traced-agent" HOLD=1 "$@" \
        Benchmarks/agent/run.sh >"$work/$name.log" 2>&1 &
    bench_pid=$!
    local deadline=$((SECONDS + 600))
    until grep -qs '^holding' "$work/$name.log"; do
        kill -0 "$bench_pid" 2>/dev/null && (( SECONDS < deadline )) \
            || { tail -n 20 "$work/$name.log" >&2; die "run.sh ($name) ended or stalled before holding"; }
        sleep 0.5
    done
    sleep "$wait"
    cp "$work/$name.raw" "$work/$name.hits"
    # run.sh may have ended already (then its status says how); SIGTERM ends its hold with status 130 (its trap), or
    # 143 if it came before the trap was set.
    kill -TERM "$bench_pid" 2>/dev/null || true
    local status=0
    wait "$bench_pid" 2>/dev/null || status=$?
    bench_pid=""
    [[ $status == 0 || $status == 130 || $status == 143 ]] \
        || { tail -n 20 "$work/$name.log" >&2; die "run.sh ($name) exited with status $status (log above)"; }
    grep -q '^entrytrace: [0-9]* of [0-9]* functions entered$' "$work/$name.raw.log" \
        || { cat "$work/$name.raw.log" >&2; die "the tracer did not finish ($name)"; }
}
trace idle "$idle_seconds" SKIP_LATENCY=1 SKIP_RATE=1
trace taps-kernel 0 SKIP_RATE=1 TAPS="$taps" DATAPATH=kernel
trace taps-userspace 0 SKIP_RATE=1 TAPS="$taps" DATAPATH=userspace
cat "$work/taps-kernel.hits" "$work/taps-userspace.hits" >"$work/taps.hits"

# ------------------------------------------------------------------------------------------------ 4. the list
# As root in a clone owned by another user, git refuses the repository ("dubious ownership") unless told it is safe.
head=$(git -c safe.directory="$PWD" rev-parse --short HEAD 2>/dev/null) || head=unknown
"$py" - "$work/functions.txt" "$work/idle.hits" "$work/taps.hits" "$work/order.txt" "$head" "$idle_seconds" "$taps" <<'PY'
import sys
functions, idle_hits, taps_hits, order, head, idle_seconds, taps = sys.argv[1:]
names, size = {}, {}
for line in open(functions):
    address, length, name = line.rstrip("\n").split(" ", 2)
    address = int(address, 16)
    names.setdefault(address, []).append(name)
    size[address] = max(size.get(address, 0), int(length, 16))
idle = sorted({int(a, 16) for a in open(idle_hits)})
taps_only = sorted({int(a, 16) for a in open(taps_hits)} - set(idle))
def total(addresses): return sum(size[a] for a in addresses)
with open(order, "w") as out:
    out.write(f"# scripts/agent-symbol-order.sh at {head}: the functions tapster-agent entered enrolled and idle for\n"
              f"# {idle_seconds} s ({len(idle)}, {total(idle)} bytes), then those only its first {taps} taps entered "
              f"({len(taps_only)}, {total(taps_only)} bytes); each part in address order.\n")
    written = set()
    for address in idle + taps_only:
        for name in sorted(names[address]):
            if name not in written:
                written.add(name)
                out.write(name + "\n")
print(f"idle: {len(idle)} functions entered, {total(idle)} bytes; the taps added {len(taps_only)}, "
      f"{total(taps_only)} bytes; of {len(size)} functions, {total(size)} bytes")
PY
# Whole or not at all (the build reads it), and owned as the clone's copy was, not by root.
[[ ! -e $order ]] || chown --reference="$order" "$work/order.txt" 2>/dev/null || true
mv "$work/order.txt" "$order"
say "wrote $order ($(grep -vc '^#' "$order") names)"
[[ ${MEASURE:-1} == 0 ]] && exit 0

# ------------------------------------------------------------------------------------------------ 5. relink, measure
rm -f "$bin/tapster-agent"   # the list is no input SwiftPM tracks: only a missing product relinks
swift build -c release "${release_flags[@]}" --scratch-path "$scratch" --product tapster-agent >>"$work/build.log" 2>&1 \
    || { tail -n 30 "$work/build.log" >&2; die "the relink of tapster-agent failed"; }
"$py" - "$(realpath "$bin/tapster-agent")" "$order" <<'PY'
import re, subprocess, sys
listed = {line.strip() for line in open(sys.argv[2]) if line.strip() and not line.startswith("#")}
nm = subprocess.run(["llvm-nm", "--defined-only", "--print-size", "--no-sort", sys.argv[1]], capture_output=True, text=True, check=True).stdout
sections = subprocess.run(["llvm-readelf", "-S", "-W", sys.argv[1]], capture_output=True, text=True, check=True).stdout
start = next(int(re.search(r"\.text\s+\S+\s+([0-9a-f]+)", l).group(1), 16) for l in sections.splitlines() if " .text " in l)
found, end = 0, start
for line in nm.splitlines():
    parts = line.split(" ", 3)
    if len(parts) == 4 and parts[3] in listed and int(parts[1], 16) > 0:
        found += 1
        end = max(end, int(parts[0], 16) + int(parts[1], 16))
print(f"relinked: {found} listed functions found, all within the first {(end - start) / 1e6:.2f} MB of .text")
PY
sync; echo 1 >/proc/sys/vm/drop_caches
TAPSTER_BIN="$bin/tapster" SKIP_LATENCY=1 SKIP_RATE=1 Benchmarks/agent/run.sh >"$work/measure.log" 2>&1 \
    || { tail -n 20 "$work/measure.log" >&2; die "run.sh failed with the relinked agent"; }
figure=$(grep -o 'idle VmRSS [0-9]* kB' "$work/measure.log" | head -n 1) || true
[[ -n $figure ]] || { tail -n 20 "$work/measure.log" >&2; die "run.sh printed no idle VmRSS for the relinked agent (log above)"; }
say "the relinked agent, cold page cache: $figure"
