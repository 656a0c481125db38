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
#   2. compiles a small ptrace tracer (cc) that runs the agent with a one-shot breakpoint (int3) on the first byte of
#      every function of its `.text` (llvm-nm, symbols with a size) and writes each function's first entry;
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
for tool in swift cc llvm-nm; do command -v "$tool" >/dev/null || die "$tool is missing"; done
py=/usr/bin/python3
[[ -x $py ]] || die "$py is missing"
scratch=${SCRATCH:-/var/cache/tapster/symbol-order}
idle_seconds=${IDLE_SECONDS:-20}
taps=${TAPS:-50}
order=$root/scripts/agent-symbol-order.txt

work=$(mktemp -d "${TMPDIR:-/tmp}/agent-symbol-order.XXXXXX")
bench_pid=""
finish() {
    [[ -n $bench_pid ]] && kill -TERM "$bench_pid" 2>/dev/null && wait "$bench_pid" 2>/dev/null
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
cat >"$work/entrytrace.c" <<'C'
// entrytrace ADDRESSES OUT PROGRAM [ARGS...]: runs PROGRAM under ptrace with a one-shot breakpoint on the first byte
// of each function whose link-time address (hex, one a line) ADDRESSES lists; appends each one's first entry to OUT
// (hex, in the order of first entries) and removes that breakpoint. Follows threads; SIGTERM is passed on.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct { uint64_t address; unsigned char original, hit; } Breakpoint;
static Breakpoint *points;
static size_t count;
static volatile sig_atomic_t terminate;
static void on_term(int sig) { (void)sig; terminate = 1; }
static int compare(const void *a, const void *b) {
    uint64_t x = ((const Breakpoint *)a)->address, y = ((const Breakpoint *)b)->address;
    return x < y ? -1 : x > y;
}
static Breakpoint *find(uint64_t address) {
    size_t low = 0, high = count;
    while (low < high) {
        size_t middle = (low + high) / 2;
        if (points[middle].address < address) low = middle + 1; else high = middle;
    }
    return low < count && points[low].address == address ? &points[low] : NULL;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: entrytrace ADDRESSES OUT PROGRAM [ARGS...]\n"); return 2; }
    FILE *list = fopen(argv[1], "r");
    if (!list) { perror(argv[1]); return 1; }
    size_t capacity = 1 << 16;
    points = malloc(capacity * sizeof *points);
    char line[64];
    while (fgets(line, sizeof line, list)) {
        if (count == capacity) points = realloc(points, (capacity *= 2) * sizeof *points);
        points[count].address = strtoull(line, NULL, 16);
        points[count++].hit = 0;
    }
    fclose(list);
    qsort(points, count, sizeof *points, compare);
    FILE *out = fopen(argv[2], "w");
    if (!out) { perror(argv[2]); return 1; }
    setvbuf(out, NULL, _IOLBF, 0);

    pid_t child = fork();
    if (child == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execv(argv[3], argv + 3);
        perror("execv");
        _exit(127);
    }
    int status;
    waitpid(child, &status, 0);   // stopped at its exec
    if (!WIFSTOPPED(status)) { fprintf(stderr, "entrytrace: the program did not start\n"); return 1; }
    ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL);

    // The load base: the executable's mapping of file offset 0 (a position-independent executable's vaddr 0).
    char path[64], exe[4096], entry[4096 + 256];
    snprintf(path, sizeof path, "/proc/%d/exe", child);
    ssize_t length = readlink(path, exe, sizeof exe - 1);
    if (length < 0) { perror("readlink"); return 1; }
    exe[length] = 0;
    snprintf(path, sizeof path, "/proc/%d/maps", child);
    FILE *maps = fopen(path, "r");
    uint64_t base = UINT64_MAX;
    while (fgets(entry, sizeof entry, maps)) {
        unsigned long start, end, offset;
        char name[4096] = "", perms[8];
        if (sscanf(entry, "%lx-%lx %7s %lx %*s %*s %4095s", &start, &end, perms, &offset, name) == 5
            && strcmp(name, exe) == 0 && offset == 0) { base = start; break; }
    }
    fclose(maps);
    if (base == UINT64_MAX) { fprintf(stderr, "entrytrace: no mapping of %s\n", exe); return 1; }
    snprintf(path, sizeof path, "/proc/%d/mem", child);
    int mem = open(path, O_RDWR);
    if (mem < 0) { perror(path); return 1; }
    unsigned char trap = 0xcc;
    for (size_t i = 0; i < count; i++)
        if (pread(mem, &points[i].original, 1, base + points[i].address) != 1
            || pwrite(mem, &trap, 1, base + points[i].address) != 1) {
            fprintf(stderr, "entrytrace: no breakpoint at %lx: %s\n", (unsigned long)points[i].address, strerror(errno));
            return 1;
        }
    fprintf(stderr, "entrytrace: %zu breakpoints in %s\n", count, exe);
    struct sigaction action = {0};
    action.sa_handler = on_term;   // no SA_RESTART: waitpid returns EINTR
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);
    ptrace(PTRACE_CONT, child, 0, 0);

    size_t hits = 0;
    int forwarded = 0;
    for (;;) {
        if (terminate && !forwarded) { kill(child, SIGTERM); forwarded = 1; }
        pid_t pid = waitpid(-1, &status, __WALL);
        if (pid < 0) { if (errno == EINTR) continue; break; }
        if (WIFEXITED(status) || WIFSIGNALED(status)) { if (pid == child) break; continue; }
        if (!WIFSTOPPED(status)) continue;
        int sig = WSTOPSIG(status), event = status >> 16;
        if (sig == SIGTRAP && event == 0) {
            struct user_regs_struct regs;
            ptrace(PTRACE_GETREGS, pid, 0, &regs);
            Breakpoint *point = find(regs.rip - 1 - base);
            if (point) {   // this thread ran the int3 (another may have removed it since): run the original byte
                if (!point->hit) {
                    point->hit = 1;
                    pwrite(mem, &point->original, 1, base + point->address);
                    fprintf(out, "%lx\n", (unsigned long)point->address);
                    hits++;
                }
                regs.rip -= 1;
                ptrace(PTRACE_SETREGS, pid, 0, &regs);
                ptrace(PTRACE_CONT, pid, 0, 0);
                continue;
            }
        }
        // a clone event, a new thread's first SIGSTOP: continue it; any other signal: deliver it
        ptrace(PTRACE_CONT, pid, 0, event != 0 || sig == SIGSTOP ? 0 : sig);
    }
    fprintf(stderr, "entrytrace: %zu of %zu functions entered\n", hits, count);
    return 0;
}
C
cc -O2 -o "$work/entrytrace" "$work/entrytrace.c" || die "cannot compile the tracer"

# Every function symbol of .text with a size: address -> names (aliases share an address).
llvm-nm --defined-only --print-size --no-sort "$agent" >"$work/nm.txt"
"$py" - "$work/nm.txt" "$work/addresses" <<'PY'
import sys
addresses = set()
for line in open(sys.argv[1]):
    parts = line.rstrip("\n").split(" ", 3)
    if len(parts) == 4 and parts[2] in ("t", "T", "W", "w") and int(parts[1], 16) > 0:
        addresses.add(int(parts[0], 16))
with open(sys.argv[2], "w") as out:
    out.writelines(f"{a:x}\n" for a in sorted(addresses))
PY
cat >"$work/traced-agent" <<SH
#!/bin/sh
exec "$work/entrytrace" "$work/addresses" "\$TRACE_OUT" "$agent" "\$@" 2>>"\$TRACE_OUT.log"
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
    kill -TERM "$bench_pid"; wait "$bench_pid" 2>/dev/null || true
    bench_pid=""
    grep -q 'entered' "$work/$name.raw.log" || { cat "$work/$name.raw.log" >&2; die "the tracer did not finish ($name)"; }
}
trace idle "$idle_seconds" SKIP_LATENCY=1 SKIP_RATE=1
trace taps-kernel 0 SKIP_RATE=1 TAPS="$taps" DATAPATH=kernel
trace taps-userspace 0 SKIP_RATE=1 TAPS="$taps" DATAPATH=userspace
cat "$work/taps-kernel.hits" "$work/taps-userspace.hits" >"$work/taps.hits"

# ------------------------------------------------------------------------------------------------ 4. the list
"$py" - "$work/nm.txt" "$work/idle.hits" "$work/taps.hits" "$order" "$(git rev-parse --short HEAD)" "$idle_seconds" "$taps" <<'PY'
import sys
nm, idle_hits, taps_hits, order, head, idle_seconds, taps = sys.argv[1:]
names, size = {}, {}
for line in open(nm):
    parts = line.rstrip("\n").split(" ", 3)
    if len(parts) == 4 and parts[2] in ("t", "T", "W", "w") and int(parts[1], 16) > 0:
        address = int(parts[0], 16)
        names.setdefault(address, []).append(parts[3])
        size[address] = max(size.get(address, 0), int(parts[1], 16))
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
say "the relinked agent, cold page cache: $(grep -o 'idle VmRSS [0-9]* kB' "$work/measure.log" | head -1)"
