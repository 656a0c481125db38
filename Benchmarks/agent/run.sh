#!/usr/bin/env bash
# Agent benchmarks, end to end with a real `tapster serve` and a real `tapster agent` (release build) over
# network namespaces this script makes (random prefix) and removes on exit, whatever happens:
#
#   1. activation latency: `POST /api/v1/taps` -> first ERSPAN packet at the tool, p50/p99/max over TAPS taps
#      (web sends 2000 UDP packets/s to a neighbour; goal p99 < 100 ms);
#   2. capture + forward rate: the same tcpreplay bursts at rising rates captured by `tcpdump -w /dev/null`
#      and by the agent (ERSPAN II to the tool); the highest rate without loss for each, and their ratio
#      agent/tcpdump (goal >= 1.0);
#   3. the agent's resident memory (VmRSS), idle (enrolled, no tap) and under load (peak during the fastest
#      burst, VmHWM after resetting it).
#
#   Benchmarks/agent/run.sh            (as root; builds tapster in release first, minutes the first time)
#
# Environment:
#   BENCH_SCRATCH   SwiftPM scratch path of the release build (default /var/cache/tapster/bench-release)
#   SWIFT_BUILD_FLAGS  more arguments for that `swift build` (split on spaces)
#   TAPSTER_BIN     use this tapster binary instead of building one
#   TAPS            taps measured for the latency (default 100, at least 50), after 2 warm-up taps
#   RATES           packets/s tried in order, `max` = tcpreplay --topspeed
#                   (default "10000 25000 50000 100000 150000 200000 300000 400000 max"); each tool's sweep
#                   stops at its first lossy burst, and ends with one burst at top speed in any case
#   REFINE          bisection steps between the last clean and the first lossy rate (default 3)
#   BURST_SECONDS   length of each burst (default 2)
#   FRAME_SIZE      bytes per generated Ethernet frame (default 128)
#   LOSS_THRESHOLD  a burst is lossy when more than this fraction of it is lost (default 0.001)
#   PAYLOAD         the target's payload: full (default) or headers:<snaplen>
#   IMMEDIATE=1     also sweep `tcpdump --immediate-mode` (libpcap's TPACKET_V2 ring, as the agent opens it)
#   PROFILE=1       also record `perf` system-wide during one more agent burst at top speed and print the
#                   hottest symbols
#   SKIP_LATENCY=1, SKIP_RATE=1   leave a part out
#   HOLD=1          after the summary, keep everything running (and print how to reach it) until Ctrl-C
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
py=/usr/bin/python3
if [[ -x /opt/swift/usr/bin/swift ]]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
scratch=${BENCH_SCRATCH:-/var/cache/tapster/bench-release}
taps=${TAPS:-100}
rates=${RATES:-"10000 25000 50000 100000 150000 200000 300000 400000 max"}
refine=${REFINE:-3}
burst_seconds=${BURST_SECONDS:-2}
frame_size=${FRAME_SIZE:-128}
loss_threshold=${LOSS_THRESHOLD:-0.001}

die() { echo "agent-bench: $*" >&2; exit 1; }
say() { echo "== $*"; }
[[ $EUID == 0 ]] || die "run as root (it makes network namespaces and runs the agent)"
(( taps >= 50 )) || die "TAPS must be at least 50"
for tool in ip tcpdump curl taskset; do command -v "$tool" >/dev/null || die "$tool is missing"; done
[[ -x $py ]] || die "$py is missing (Debian's python3)"
if ! command -v tcpreplay >/dev/null; then
    say "installing tcpreplay (Debian package) for the traffic generator"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tcpreplay >/dev/null \
        || die "cannot install tcpreplay (apt-get install tcpreplay)"
fi

# ---------------------------------------------------------------------------------------------- cleanup
prefix="b$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')"
work=$(mktemp -d "${TMPDIR:-/tmp}/tapster-agent-bench.XXXXXX")
namespaces=()
root_link_made=""
tracked=()   # PIDs this script started and that may still run, oldest first
track() { tracked+=("$1"); }
untrack() {
    local kept=() pid
    for pid in "${tracked[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
    tracked=("${kept[@]}")
}
cleanup() {
    local status=$?
    set +e
    trap - EXIT INT TERM
    # Newest first: the agent (which stops its captures on SIGTERM) before the server.
    local index pid
    for (( index = ${#tracked[@]} - 1; index >= 0; index-- )); do kill -TERM "${tracked[index]}" 2>/dev/null; done
    local deadline=$((SECONDS + 5))
    for pid in "${tracked[@]}"; do
        while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
    done
    for ns in "${namespaces[@]}"; do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    [[ -n $root_link_made ]] && ip link del "$root_link" 2>/dev/null
    if [[ $status != 0 && -f $work/agent.log ]]; then
        echo "agent-bench: failed; the agent's and server's last log lines:" >&2
        tail -n 15 "$work/agent.log" "$work/server.log" >&2
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Polls `condition` (a shell command) every 50 ms for up to `seconds`; fails with `what`.
wait_for() {
    local seconds=$1 what=$2; shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        (( SECONDS < deadline )) || die "timed out after ${seconds}s waiting for $what"
        sleep 0.05
    done
}

# ------------------------------------------------------------------------------------------------ build
if [[ -n ${TAPSTER_BIN:-} ]]; then
    bin=$TAPSTER_BIN
else
    say "building tapster (release, scratch $scratch)"
    # shellcheck disable=SC2086  # SWIFT_BUILD_FLAGS is a list of arguments
    (cd "$repo" && swift build -c release --product tapster --scratch-path "$scratch" ${SWIFT_BUILD_FLAGS:-}) >"$work/build.log" 2>&1 \
        || { tail -n 30 "$work/build.log" >&2; die "the release build failed"; }
    bin=$scratch/release/tapster
fi
[[ -x $bin ]] || die "no tapster binary at $bin"

# ------------------------------------------------------------------------------------------------ network
#   <p>-web eth0 10.X.0.2  <—veth—>  <p>-nbr eth0 10.X.0.3       the workload and its neighbour
#   root <p>t 10.X.1.1     <—veth—>  <p>-tool eth0 10.X.1.2      the monitoring tool (ERSPAN destination)
octet=""
for _ in $(seq 50); do
    candidate=$((RANDOM % 150 + 100))
    if ! ip -4 route show | grep -q "^10\.$candidate\." && ! ip -4 addr show | grep -q " 10\.$candidate\."; then
        octet=$candidate
        break
    fi
done
[[ -n $octet ]] || die "no free 10.X.0.0/16 range"
hex=$(printf '%02x' "$octet")
web_ns=$prefix-web nbr_ns=$prefix-nbr tool_ns=$prefix-tool root_link=${prefix}t
web_ip=10.$octet.0.2 nbr_ip=10.$octet.0.3 root_ip=10.$octet.1.1 tool_ip=10.$octet.1.2
web_mac=02:b0:$hex:00:00:02 nbr_mac=02:b0:$hex:00:00:03 root_mac=02:b0:$hex:01:00:01 tool_mac=02:b0:$hex:01:00:02
absent_mac=02:b0:$hex:00:00:ee   # the rate bursts' destination MAC: web's stack drops them at once (other host)
for ns in "$web_ns" "$nbr_ns" "$tool_ns"; do
    ip netns add "$ns"
    namespaces+=("$ns")
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
done
ip link add eth0 netns "$web_ns" address "$web_mac" type veth peer name eth0 netns "$nbr_ns" address "$nbr_mac"
ip -n "$web_ns" addr add "$web_ip/24" dev eth0
ip -n "$web_ns" link set eth0 up
ip -n "$nbr_ns" addr add "$nbr_ip/24" dev eth0
ip -n "$nbr_ns" link set eth0 up
ip -n "$web_ns" neigh replace "$nbr_ip" lladdr "$nbr_mac" dev eth0 nud permanent
ip -n "$nbr_ns" neigh replace "$web_ip" lladdr "$web_mac" dev eth0 nud permanent
ip link add "$root_link" address "$root_mac" type veth peer name eth0 netns "$tool_ns" address "$tool_mac"
root_link_made=1
echo 1 >"/proc/sys/net/ipv6/conf/$root_link/disable_ipv6" 2>/dev/null || true
ip addr add "$root_ip/30" dev "$root_link"
ip link set "$root_link" up
ip -n "$tool_ns" addr add "$tool_ip/30" dev eth0
ip -n "$tool_ns" link set eth0 up
ip neigh replace "$tool_ip" lladdr "$tool_mac" dev "$root_link" nud permanent
ip -n "$tool_ns" neigh replace "$root_ip" lladdr "$root_mac" dev eth0 nud permanent

rx_packets() { ip netns exec "$1" cat /sys/class/net/eth0/statistics/rx_packets; }

# ------------------------------------------------------------------------------------ server and agent
free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
api_port=$(free_port)
agent_port=$(free_port)
export TAPSTER_SERVER=http://127.0.0.1:$api_port
TAPSTER_TOKEN=tap_bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
export TAPSTER_TOKEN
TAPSTER_ADMIN_TOKEN=$TAPSTER_TOKEN "$bin" serve --listen "127.0.0.1:$api_port" --agent-listen "127.0.0.1:$agent_port" \
    --data-dir "$work/server" >"$work/server.log" 2>&1 &
track $!
disown
wait_for 60 "the server on $TAPSTER_SERVER" curl -sf "$TAPSTER_SERVER/metrics"

api() { # METHOD PATH [JSON]
    curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $TAPSTER_TOKEN" -H 'Content-Type: application/json' \
        ${3:+--data "$3"} "$TAPSTER_SERVER$2"
}

cat >"$work/agent.yaml" <<EOF
namespaces: ["$prefix-*"]
host_interfaces: false
process_namespaces: false
workloads:
  - match: { netns: "$web_ns" }
    labels: { app: web }
EOF
join_token=$("$bin" agent token create -o json | "$py" "$here/tapjson.py" field token)
"$bin" agent --server "127.0.0.1:$agent_port" --join-token "$join_token" --name "$prefix-host" \
    --data-dir "$work/agent" --config "$work/agent.yaml" >"$work/agent.log" 2>&1 &
agent_pid=$!
track $agent_pid
disown
web_reported() { [[ $("$bin" workload list -l app=web -o json | "$py" "$here/tapjson.py" count) -ge 1 ]]; }
wait_for 30 "the agent to enrol and report the web workload" web_reported
"$bin" filter create web --selector app=web >/dev/null
"$bin" target create tool --kind erspan --session-id 7 --destination "$tool_ip" --payload "${PAYLOAD:-full}" >/dev/null

status_field() { awk -v key="$2" '$1 == key":" { print $2 }' "/proc/$1/status"; }
sleep 3  # let the agent settle after enrolment and its first inventory
idle_rss=$(status_field "$agent_pid" VmRSS)

say "machine: $(nproc) cores, $(uname -r); $(tcpreplay --version 2>&1 | head -1); $(tcpdump --version 2>&1 | head -1)"
say "namespaces $web_ns, $nbr_ns, $tool_ns; agent pid $agent_pid, idle VmRSS ${idle_rss} kB"

# ------------------------------------------------------------------------------------ 1. activation latency
latency_summary=""
if [[ ${SKIP_LATENCY:-0} != 1 ]]; then
    say "activation latency: $taps taps (after 2 warm-up taps), web -> neighbour at 2000 packets/s"
    ip netns exec "$web_ns" "$py" "$here/steady.py" "$nbr_ip" --pps 2000 &
    steady_pid=$!
    track $steady_pid
    "$py" "$here/latency.py" --server "$TAPSTER_SERVER" --token "$TAPSTER_TOKEN" --tool-netns "$tool_ns" \
        --filter web --target tool --taps "$taps" --warmup 2 --samples "$work/latency.tsv" >"$work/latency.out"
    kill -TERM $steady_pid; wait $steady_pid 2>/dev/null || true
    untrack $steady_pid
    latency_summary=$(cat "$work/latency.out")
    lat() { awk -F= -v key="$1" '$1 == key { print $2 }' <<<"$latency_summary"; }
    printf '   activation  p50 %s ms  p99 %s ms  max %s ms  (min %s ms)\n' \
        "$(lat activation_p50_ms)" "$(lat activation_p99_ms)" "$(lat activation_max_ms)" "$(lat activation_min_ms)"
    printf '   API answer  p50 %s ms  p99 %s ms    stop -> last packet  p50 %s ms  max %s ms    missed %s\n' \
        "$(lat api_p50_ms)" "$(lat api_p99_ms)" "$(lat stop_p50_ms)" "$(lat stop_max_ms)" "$(lat missed)"
fi

# ------------------------------------------------------------------------------------ 2. capture + forward rate
pcap=$work/traffic.pcap
"$py" "$here/pcapgen.py" "$pcap" --src-mac "$nbr_mac" --dst-mac "$absent_mac" --src-ip "$nbr_ip" --dst-ip "$web_ip" \
    --frame-size "$frame_size"

# replay RATE: sends BURST_SECONDS worth of packets from the neighbour into web's eth0 (tcpreplay on CPU 0);
# sets achieved (packets/s as tcpreplay measured it).
replay() {
    local rate=$1 count speed
    if [[ $rate == max ]]; then
        count=$((600000 * burst_seconds)); speed=(--topspeed)
    else
        count=$((rate * burst_seconds)); speed=(--pps="$rate")
    fi
    ip netns exec "$nbr_ns" taskset -c 0 tcpreplay -i eth0 -K --loop=0 --limit="$count" "${speed[@]}" "$pcap" \
        >"$work/replay.out" 2>&1 || { cat "$work/replay.out" >&2; die "tcpreplay failed"; }
    achieved=$(awk '/Rated:/ { for (i = 1; i <= NF; i++) if ($i ~ /^pps/) print int($(i - 1)) }' "$work/replay.out")
}

tap_counters() { api GET "/api/v1/taps/$1" | "$py" "$here/tapjson.py" counters; }
tap_state_is() { [[ $(tap_counters "$1" | cut -d' ' -f1) == "$2" ]]; }

trials=()          # "tool achieved lossy" per burst
declare -A top=()  # tool -> "achieved offered delivered" of its burst at top speed
load_rss="" load_hwm="" load_rate=0
# trial TOOL RATE: one burst captured by TOOL (tcpdump | agent); prints a table row and sets lossy=0|1.
trial() {
    local tool=$1 rate=$2 offered captured kernel send=0 delivered lost verdict
    local before_web before_tool
    before_web=$(rx_packets "$web_ns")
    before_tool=$(rx_packets "$tool_ns")
    if [[ $tool == tcpdump* ]]; then
        local mode=()
        [[ $tool == tcpdump-imm ]] && mode=(--immediate-mode)
        ip netns exec "$web_ns" tcpdump "${mode[@]}" -i eth0 -n -w /dev/null 2>"$work/tcpdump.err" &
        local tcpdump_pid=$!
        track $tcpdump_pid
        wait_for 10 "tcpdump to listen" grep -q 'listening on' "$work/tcpdump.err"
        replay "$rate"
        sleep 1.5   # tcpdump reads TPACKET_V3 blocks, retired at the latest after its 1 s timeout
        kill -INT $tcpdump_pid
        wait $tcpdump_pid 2>/dev/null || true
        untrack $tcpdump_pid
        captured=$(awk '/packets? captured/ { print $1 }' "$work/tcpdump.err")
        kernel=$(awk '/dropped by kernel/ { print $1 }' "$work/tcpdump.err")
        delivered=$captured
    else
        local id packets cap buffer
        id=$(api POST /api/v1/taps '{"filter":"web","target":"tool","duration":"10m"}' | "$py" "$here/tapjson.py" field id)
        wait_for 10 "the agent to apply tap $id" tap_state_is "$id" applied
        echo 5 >"/proc/$agent_pid/clear_refs"   # reset VmHWM: the peak below is this burst's
        if [[ ${profiling:-0} == 1 ]]; then
            perf record -a -g -o "$work/perf.data" -- sleep "$burst_seconds" >"$work/perf.log" 2>&1 &
            local perf_pid=$!
            track $perf_pid
        fi
        replay "$rate"
        local rss hwm
        rss=$(status_field "$agent_pid" VmRSS)
        hwm=$(status_field "$agent_pid" VmHWM)
        if [[ ${profiling:-0} == 1 ]]; then wait $perf_pid 2>/dev/null || true; untrack $perf_pid; fi
        # Kernel drops are read once a second by the capture thread, and the agent reports once a second:
        # let both pass before stopping, then take the final counters the agent reports for the stopped tap.
        sleep 1.3
        api POST "/api/v1/taps/$id/stop" '{}' >/dev/null
        wait_for 10 "the agent to report tap $id stopped" tap_state_is "$id" stopped
        read -r _ packets kernel cap send buffer < <(tap_counters "$id")
        captured=$packets
        send=$((send + cap + buffer))
        delivered=$(( $(rx_packets "$tool_ns") - before_tool ))
        if (( achieved >= load_rate )); then load_rate=$achieved load_rss=$rss load_hwm=$hwm; fi
    fi
    offered=$(( $(rx_packets "$web_ns") - before_web ))
    lost=$(( offered - delivered ))
    (( lost < 0 )) && lost=0
    if "$py" -c "import sys; sys.exit(0 if $lost > $loss_threshold * $offered else 1)"; then lossy=1 verdict=LOSS; else lossy=0 verdict=ok; fi
    printf '   %-11s %10s %10s %10s %10s %9s %8s %10s %8s  %s\n' "$tool" "$rate" "$achieved" "$offered" "$captured" \
        "$kernel" "$send" "$delivered" "$("$py" -c "print(f'{100 * $lost / max($offered, 1):.3f}%')")" "$verdict"
    trials+=("$tool $achieved $lossy")
    if [[ $rate == max ]]; then top[$tool]="$achieved $offered $delivered"; fi
}

# sweep TOOL: rising rates until the first lossy burst, then bisection between the last clean rate and it,
# then one burst at top speed (what the tool still delivers when saturated; the agent's memory under load).
sweep() {
    local tool=$1 last_clean=0 first_lossy="" rate
    for rate in $rates; do
        trial "$tool" "$rate"
        if (( lossy )); then first_lossy=$achieved; break; fi
        last_clean=$achieved
    done
    [[ -n $first_lossy ]] || return 0
    local low=$last_clean high=$first_lossy middle
    for _ in $(seq "$refine"); do
        middle=$(( (low + high) / 2 ))
        (( high - low > high / 50 )) || break
        trial "$tool" "$middle"
        if (( lossy )); then high=$middle; else low=$middle; fi
    done
    [[ -n ${top[$tool]:-} ]] || trial "$tool" max
}

# onset TOOL: "CLEAN LOSSY" — the highest achieved rate without loss, the lowest with (or "-").
onset() {
    local clean=0 lossy_min="-" entry tool achieved lossy
    for entry in "${trials[@]}"; do
        read -r tool achieved lossy <<<"$entry"
        [[ $tool == "$1" ]] || continue
        if (( lossy )); then
            if [[ $lossy_min == - ]] || (( achieved < lossy_min )); then lossy_min=$achieved; fi
        elif (( achieved > clean )); then
            clean=$achieved
        fi
    done
    echo "$clean $lossy_min"
}

if [[ ${SKIP_RATE:-0} != 1 ]]; then
    say "capture + forward rate: ${burst_seconds}s bursts of ${frame_size}-byte frames into web's eth0 (loss > $loss_threshold = LOSS)"
    # The tool's GRE receiver: without one, its kernel tries an ICMP "protocol unreachable" per packet, on
    # the agent's CPU (veth delivers in the sender's context).
    ip netns exec "$tool_ns" "$py" "$here/gresink.py" &
    sink_pid=$!
    track $sink_pid
    printf '   %-11s %10s %10s %10s %10s %9s %8s %10s %8s\n' tool requested achieved offered captured "k.drops" "a.drops" delivered lost
    sweep tcpdump
    [[ ${IMMEDIATE:-0} == 1 ]] && sweep tcpdump-imm
    sweep agent
    if [[ ${PROFILE:-0} == 1 ]] && command -v perf >/dev/null; then
        say "profiling one more agent burst at top speed (perf record -a -g)"
        profiling=1
        trial agent max
        profiling=0
        perf report -i "$work/perf.data" --stdio --no-children --sort comm,dso,symbol 2>/dev/null \
            | grep -v '^#' | grep -v '^$' | grep '%' | head -n 40 || true
    fi
    kill -TERM $sink_pid
    wait $sink_pid 2>/dev/null || true
    untrack $sink_pid
fi

# ------------------------------------------------------------------------------------------------ summary
final_rss=$(status_field "$agent_pid" VmRSS)
echo
echo "================================ tapster agent benchmark ================================"
echo "machine            $(nproc) cores, kernel $(uname -r); ${frame_size}-byte frames; payload ${PAYLOAD:-full}; tapster $bin"
if [[ -n $latency_summary ]]; then
    printf 'activation latency p50 %s ms, p99 %s ms, max %s ms over %s taps (goal p99 < 100 ms: %s)\n' \
        "$(lat activation_p50_ms)" "$(lat activation_p99_ms)" "$(lat activation_max_ms)" "$(lat taps)" \
        "$("$py" -c "print('met' if $(lat activation_p99_ms) < 100 else 'NOT met')")"
    printf 'stop latency       p50 %s ms, max %s ms (stop request -> last mirrored packet at the tool)\n' \
        "$(lat stop_p50_ms)" "$(lat stop_max_ms)"
fi
if [[ ${SKIP_RATE:-0} != 1 ]]; then
    read -r tcpdump_clean tcpdump_lossy <<<"$(onset tcpdump)"
    read -r agent_clean agent_lossy <<<"$(onset agent)"
    describe() { # CLEAN LOSSY
        if [[ $2 == - ]]; then echo ">= $1 packets/s (no loss up to the generator's top speed)"
        else echo "$1 packets/s without loss, loss from $2 packets/s"; fi
    }
    echo "tcpdump -w /dev/null  $(describe "$tcpdump_clean" "$tcpdump_lossy")"
    if [[ ${IMMEDIATE:-0} == 1 ]]; then
        read -r immediate_clean immediate_lossy <<<"$(onset tcpdump-imm)"
        echo "tcpdump --immediate-mode  $(describe "$immediate_clean" "$immediate_lossy")"
    fi
    echo "agent (ERSPAN II)     $(describe "$agent_clean" "$agent_lossy")"
    ratio=$("$py" -c "print(f'{$agent_clean / max($tcpdump_clean, 1):.2f}')")
    qualifier=""
    if [[ $tcpdump_lossy == - && $agent_lossy != - ]]; then qualifier="at most "
    elif [[ $tcpdump_lossy != - && $agent_lossy == - ]]; then qualifier="at least "
    elif [[ $tcpdump_lossy == - && $agent_lossy == - ]]; then qualifier="(generator-bound) "
    fi
    echo "ratio agent/tcpdump   ${qualifier}${ratio} (goal >= 1.0)"
    for tool in tcpdump tcpdump-imm agent; do
        [[ -n ${top[$tool]:-} ]] || continue
        read -r achieved offered delivered <<<"${top[$tool]}"
        where="written by $tool"; [[ $tool == agent ]] && where="received by the tool from the agent"
        printf 'at top speed       %s packets/s offered: %s of %s %s (%s lost)\n' "$achieved" "$delivered" "$offered" \
            "$where" "$("$py" -c "print(f'{100 * max($offered - $delivered, 0) / max($offered, 1):.1f}%')")"
    done
fi
echo "agent memory       idle VmRSS ${idle_rss} kB; under load (${load_rate:-0} packets/s) VmRSS ${load_rss:-?} kB, peak VmHWM ${load_hwm:-?} kB; at the end ${final_rss} kB"
echo "=========================================================================================="
if [[ ${HOLD:-0} == 1 ]]; then
    echo "holding (Ctrl-C or SIGTERM to clean up): export TAPSTER_SERVER=$TAPSTER_SERVER TAPSTER_TOKEN=$TAPSTER_TOKEN"
    echo "  bin=$bin agent_pid=$agent_pid web=$web_ns nbr=$nbr_ns tool=$tool_ns pcap=$pcap work=$work"
    while true; do sleep 1; done
fi
