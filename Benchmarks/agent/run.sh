#!/usr/bin/env bash
# Agent benchmarks, end to end with a real `tapster serve` and a real `tapster agent` (release build) over
# network namespaces this script makes (random prefix) and removes on exit, whatever happens:
#
#   1. activation latency: `POST /api/v1/taps` -> first ERSPAN packet at the tool, p50/p99/max over TAPS taps
#      (web sends 2000 UDP packets/s to a neighbour; goal p99 < 100 ms);
#   2. capture + forward rate: the same tcpreplay bursts at rising rates captured by `tcpdump -w /dev/null`
#      and by the agent (ERSPAN II to the tool, VXLAN with TARGET=vxlan, or summarised into flow records with
#      TARGET=flows); the highest rate without loss for each, and their ratio agent/tcpdump (goal >= 1.0);
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
#   TARGET          the target's kind: erspan (default, ERSPAN II: the agent encapsulates in userspace), vxlan
#                   (VNI 77 to UDP 4789: mirrored in the kernel with whole packets, see docs/agent.md) or flows
#                   (`--kind flows`: the agent summarises the burst into flow records, docs/flows.md; a burst's
#                   "delivered" is the packets its tap's records count; no activation latency, no tool traffic)
#   DATAPATH        the agent's --datapath: kernel (default here; the agent's own default is userspace) or userspace
#   IMMEDIATE=1     also sweep `tcpdump --immediate-mode` (libpcap's TPACKET_V2 ring, as the agent opens it)
#   PROFILE=1       also record `perf` system-wide during one more agent burst at top speed and print the
#                   hottest symbols
#   SKIP_LATENCY=1, SKIP_RATE=1   leave a part out
#   HOLD=1          after the summary, keep everything running (and print how to reach it) until Ctrl-C
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bench_name=agent-bench
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$here/../lib/common.sh"
taps=${TAPS:-100}
rates=${RATES:-"10000 25000 50000 100000 150000 200000 300000 400000 max"}
refine=${REFINE:-3}
burst_seconds=${BURST_SECONDS:-2}
frame_size=${FRAME_SIZE:-128}
loss_threshold=${LOSS_THRESHOLD:-0.001}

require_root "it makes network namespaces and runs the agent"
(( taps >= 50 )) || die "TAPS must be at least 50"
require_tools

# ---------------------------------------------------------------------------------------------- cleanup
make_workspace b agent
root_link_made=""
# on_cleanup STATUS: after cleanup stopped (newest first) the agent (which stops its captures on SIGTERM) and the
# server, and removed the namespaces: removes the tool's root link, and on failure shows the last log lines.
on_cleanup() {
    [[ -n $root_link_made ]] && ip link del "$root_link" 2>/dev/null
    if [[ $1 != 0 && -f $work/agent.log ]]; then
        echo "agent-bench: failed; the agent's and server's last log lines:" >&2
        tail -n 15 "$work/agent.log" "$work/server.log" >&2
    fi
}
install_cleanup

# ------------------------------------------------------------------------------------------------ build
build_tapster

# ------------------------------------------------------------------------------------------------ network
#   <p>-web eth0 10.X.0.2  <—veth—>  <p>-nbr eth0 10.X.0.3       the workload and its neighbour
#   root <p>t 10.X.1.1     <—veth—>  <p>-tool eth0 10.X.1.2      the monitoring tool (ERSPAN destination)
pick_octet
web_ns=$prefix-web nbr_ns=$prefix-nbr tool_ns=$prefix-tool root_link=${prefix}t
web_ip=10.$octet.0.2 nbr_ip=10.$octet.0.3 root_ip=10.$octet.1.1 tool_ip=10.$octet.1.2
web_mac=02:b0:$hex:00:00:02 nbr_mac=02:b0:$hex:00:00:03 root_mac=02:b0:$hex:01:00:01 tool_mac=02:b0:$hex:01:00:02
absent_mac=02:b0:$hex:00:00:ee   # the rate bursts' destination MAC: web's stack drops them at once (other host)
for ns in "$web_ns" "$nbr_ns" "$tool_ns"; do make_namespace "$ns"; done
link_neighbours "$web_ns" "$web_mac" "$web_ip" "$nbr_ns" "$nbr_mac" "$nbr_ip"
ip link add "$root_link" address "$root_mac" type veth peer name eth0 netns "$tool_ns" address "$tool_mac"
root_link_made=1
echo 1 >"/proc/sys/net/ipv6/conf/$root_link/disable_ipv6" 2>/dev/null || true
ip addr add "$root_ip/30" dev "$root_link"
ip link set "$root_link" up
ip -n "$tool_ns" addr add "$tool_ip/30" dev eth0
ip -n "$tool_ns" link set eth0 up
ip neigh replace "$tool_ip" lladdr "$tool_mac" dev "$root_link" nud permanent
ip -n "$tool_ns" neigh replace "$root_ip" lladdr "$root_mac" dev eth0 nud permanent

# ------------------------------------------------------------------------------------ server and agent
# shellcheck disable=SC2119  # no extra `tapster serve` options
start_server

api() { # METHOD PATH [JSON]
    curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $TAPSTER_TOKEN" -H 'Content-Type: application/json' \
        ${3:+--data "$3"} "$TAPSTER_SERVER$2"
}

write_agent_config agent "$prefix-*" "$web_ns"
target_kind=${TARGET:-erspan}
[[ $target_kind == erspan || $target_kind == vxlan || $target_kind == flows ]] || die "TARGET is erspan, vxlan or flows"
AGENT_ARGS=(--datapath "${DATAPATH:-kernel}")
start_agent "$prefix-host" agent
agent_pid=$started_pid
wait_for 30 "the agent to enrol and report the web workload" webs_reported 1
"$bin" filter create web --selector app=web >/dev/null
if [[ $target_kind == flows ]]; then
    "$bin" target create tool --kind flows >/dev/null
    receiver=()
elif [[ $target_kind == vxlan ]]; then
    "$bin" target create tool --kind vxlan --vni 77 --destination "$tool_ip" --payload "${PAYLOAD:-full}" >/dev/null
    receiver=(--udp-port 4789)
else
    "$bin" target create tool --kind erspan --session-id 7 --destination "$tool_ip" --payload "${PAYLOAD:-full}" >/dev/null
    receiver=()
fi

sleep 3  # let the agent settle after enrolment and its first inventory
idle_rss=$(status_field "$agent_pid" VmRSS)

say_machine
say "namespaces $web_ns, $nbr_ns, $tool_ns; agent pid $agent_pid, idle VmRSS ${idle_rss} kB"

# ------------------------------------------------------------------------------------ 1. activation latency
latency_summary=""
if [[ $target_kind == flows && ${SKIP_LATENCY:-0} != 1 ]]; then
    say "activation latency: skipped (TARGET=flows: a flow tap sends records, not packets, to no tool)"
elif [[ ${SKIP_LATENCY:-0} != 1 ]]; then
    say "activation latency: $taps taps (after 2 warm-up taps), web -> neighbour at 2000 packets/s"
    ip netns exec "$web_ns" "$py" "$here/steady.py" "$nbr_ip" --pps 2000 &
    steady_pid=$!
    track $steady_pid
    "$py" "$here/latency.py" --server "$TAPSTER_SERVER" --token "$TAPSTER_TOKEN" --tool-netns "$tool_ns" \
        --filter web --target tool --taps "$taps" --warmup 2 --samples "$work/latency.tsv" "${receiver[@]}" >"$work/latency.out"
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
    replay_plan "$rate" $((600000 * burst_seconds))
    ip netns exec "$nbr_ns" taskset -c 0 tcpreplay -i eth0 -K --loop=0 --limit="$count" "${speed[@]}" "$pcap" \
        >"$work/replay.out" 2>&1 || { cat "$work/replay.out" >&2; die "tcpreplay failed"; }
    achieved=$(replay_rate "$work/replay.out")
}

tap_counters() { api GET "/api/v1/taps/$1" | "$py" "$here/tapjson.py" counters; }
tap_state_is() { [[ $(tap_counters "$1" | cut -d' ' -f1) == "$2" ]]; }
flow_packets() { api GET "/api/v1/flows?limit=10000" | "$py" "$here/tapjson.py" flowpackets "$1"; }

# flow_delivered TAP: after the flows tap TAP stopped, waits (up to 15 s) until its records have arrived — none
# still `live`, and the packets they count unchanged over two reads 0.3 s apart — and sets delivered to those
# packets and flow_records to how many records there are.
flow_delivered() {
    local records=0 packets=-1 live=1 previous=-2 deadline=$((SECONDS + 15))
    while (( SECONDS < deadline )); do
        read -r records packets live < <(flow_packets "$1")
        if (( records > 0 && live == 0 && packets == previous )); then break; fi
        previous=$packets
        sleep 0.3
    done
    (( live == 0 && packets == previous )) || say "tap $1: flow records not settled after 15 s ($records records, $live live)"
    delivered=$packets flow_records=$records
}

trials=()          # "tool achieved lossy" per burst
declare -A top=()  # tool -> "achieved offered delivered" of its burst at top speed
load_rss="" load_hwm="" load_rate=0
flow_notes=()      # TARGET=flows: per agent burst, its records and the tap's flow counters
declare -A top_cpu=()  # tool -> its CPU time per offered packet in its burst at top speed (printed with TARGET=flows)
tool_ticks=0
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
        tool_ticks=$(cpu_ticks $tcpdump_pid)   # all its CPU: it started just before the burst
        kill -INT $tcpdump_pid
        wait $tcpdump_pid 2>/dev/null || true
        untrack $tcpdump_pid
        captured=$(tcpdump_stat "$work/tcpdump.err" 'packets? captured')
        kernel=$(tcpdump_stat "$work/tcpdump.err" 'dropped by kernel')
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
        local ticks_before
        ticks_before=$(cpu_ticks "$agent_pid")
        replay "$rate"
        local rss hwm
        rss=$(status_field "$agent_pid" VmRSS)
        hwm=$(status_field "$agent_pid" VmHWM)
        if [[ ${profiling:-0} == 1 ]]; then wait "$perf_pid" 2>/dev/null || true; untrack "$perf_pid"; fi
        # Kernel drops are read once a second by the capture thread, and the agent reports once a second:
        # let both pass before stopping, then take the final counters the agent reports for the stopped tap.
        sleep 1.3
        tool_ticks=$(( $(cpu_ticks "$agent_pid") - ticks_before ))   # the burst and 1.3 s after it, the whole agent
        api POST "/api/v1/taps/$id/stop" '{}' >/dev/null
        wait_for 10 "the agent to report tap $id stopped" tap_state_is "$id" stopped
        read -r _ packets kernel cap send buffer < <(tap_counters "$id")
        captured=$packets
        send=$((send + cap + buffer))
        if [[ $target_kind == flows ]]; then
            local flows_dropped http_unparsed
            flow_delivered "$id"
            read -r flows_dropped http_unparsed < <(api GET "/api/v1/taps/$id" | "$py" "$here/tapjson.py" flowdrops)
            send=$((send + flows_dropped))   # a packet of a flow the table had no room for is in no record
            flow_notes+=("$rate: $flow_records records, $flows_dropped flows dropped, $http_unparsed HTTP unparsed")
        else
            delivered=$(( $(rx_packets "$tool_ns") - before_tool ))
        fi
        if (( achieved >= load_rate )); then load_rate=$achieved load_rss=$rss load_hwm=$hwm; fi
    fi
    offered=$(( $(rx_packets "$web_ns") - before_web ))
    lost=$(( offered - delivered ))
    (( lost < 0 )) && lost=0
    if "$py" -c "import sys; sys.exit(0 if $lost > $loss_threshold * $offered else 1)"; then lossy=1 verdict=LOSS; else lossy=0 verdict=ok; fi
    printf '   %-11s %10s %10s %10s %10s %9s %8s %10s %8s  %s\n' "$tool" "$rate" "$achieved" "$offered" "$captured" \
        "$kernel" "$send" "$delivered" "$("$py" -c "print(f'{100 * $lost / max($offered, 1):.3f}%')")" "$verdict"
    trials+=("$tool $achieved $lossy")
    if [[ $rate == max ]]; then
        top[$tool]="$achieved $offered $delivered"
        top_cpu[$tool]=$("$py" -c "print(f'{$tool_ticks / $(getconf CLK_TCK) * 1e6 / max($offered, 1):.2f} µs per packet ({$tool_ticks / $(getconf CLK_TCK):.2f} s of CPU)')")
    fi
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
    # the agent's CPU (veth delivers in the sender's context). A flows tap sends nothing to the tool.
    sink_pid=""
    if [[ $target_kind != flows ]]; then
        ip netns exec "$tool_ns" "$py" "$here/gresink.py" "${receiver[@]}" &
        sink_pid=$!
        track $sink_pid
    fi
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
    if [[ -n $sink_pid ]]; then
        kill -TERM $sink_pid
        wait $sink_pid 2>/dev/null || true
        untrack $sink_pid
    fi
    if [[ $target_kind == flows ]]; then
        say "flow records per agent burst (requested rate: records, the tap's flows_dropped and http_unparsed)"
        printf '   %s\n' "${flow_notes[@]}"
    fi
fi

# ------------------------------------------------------------------------------------------------ summary
final_rss=$(status_field "$agent_pid" VmRSS)
echo
echo "================================ tapster agent benchmark ================================"
echo "machine            $(nproc) cores, kernel $(uname -r); ${frame_size}-byte frames; payload ${PAYLOAD:-full}; target $target_kind, agent --datapath ${DATAPATH:-kernel}; tapster $bin"
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
    case $target_kind in vxlan) agent_kind="VXLAN   " ;; flows) agent_kind="flows    " ;; *) agent_kind="ERSPAN II" ;; esac
    echo "agent ($agent_kind)     $(describe "$agent_clean" "$agent_lossy")"
    ratio=$("$py" -c "print(f'{$agent_clean / max($tcpdump_clean, 1):.2f}')")
    qualifier=$(ratio_qualifier "$tcpdump_lossy" "$agent_lossy")
    echo "ratio agent/tcpdump   ${qualifier}${ratio} (goal >= 1.0)"
    for tool in tcpdump tcpdump-imm agent; do
        [[ -n ${top[$tool]:-} ]] || continue
        read -r achieved offered delivered <<<"${top[$tool]}"
        where="written by $tool"
        if [[ $tool == agent && $target_kind == flows ]]; then where="counted in the agent's flow records"
        elif [[ $tool == agent ]]; then where="received by the tool from the agent"; fi
        printf 'at top speed       %s packets/s offered: %s of %s %s (%s lost)\n' "$achieved" "$delivered" "$offered" \
            "$where" "$(percent_lost "$offered" "$delivered")"
    done
    if [[ $target_kind == flows ]]; then
        for tool in tcpdump agent; do
            if [[ -n ${top_cpu[$tool]:-} ]]; then printf 'CPU at top speed   %-8s %s\n' "$tool" "${top_cpu[$tool]}"; fi
        done
    fi
fi
echo "agent memory       idle VmRSS ${idle_rss} kB; under load (${load_rate:-0} packets/s) VmRSS ${load_rss:-?} kB, peak VmHWM ${load_hwm:-?} kB; at the end ${final_rss} kB"
echo "=========================================================================================="
if [[ ${HOLD:-0} == 1 ]]; then
    hold_forever "bin=$bin agent_pid=$agent_pid web=$web_ns nbr=$nbr_ns tool=$tool_ns pcap=$pcap work=$work"
fi
