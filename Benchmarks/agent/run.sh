#!/usr/bin/env bash
# Agent benchmarks, end to end with a real `tapster serve` and a real agent (`tapster-agent`, or `tapster agent`;
# release build) over network namespaces this script makes (random prefix) and removes on exit, whatever happens:
#
#   1. activation latency: `POST /api/v1/taps` -> first ERSPAN packet at the tool, p50/p99/max over TAPS taps
#      (web sends 2000 UDP packets/s to a neighbour; goal p99 < 100 ms);
#   2. capture + forward rate: the same tcpreplay bursts at rising rates captured by `tcpdump -w /dev/null`
#      and by the agent (ERSPAN II to the tool, VXLAN with TARGET=vxlan, or summarised into flow records with
#      TARGET=flows); the highest rate without loss for each, and their ratio agent/tcpdump (goal >= 1.0);
#   3. the agent's resident memory (VmRSS), idle (enrolled, no tap) and under load (peak during the fastest
#      burst, VmHWM after resetting it); with TARGET=recorder also idle before the recorder, with it started
#      and with its ring full, against its --max-bytes (and /proc/PID/smaps by kind, Benchmarks/lib/smaps.py).
#
#   Benchmarks/agent/run.sh            (as root; builds tapster and tapster-agent in release first, minutes the
#                                      first time)
#
# Environment:
#   BENCH_SCRATCH   SwiftPM scratch path of the release build (default /var/cache/tapster/bench-release)
#   SWIFT_BUILD_FLAGS  more arguments for that `swift build` (split on spaces)
#   TAPSTER_BIN     use this tapster binary instead of building one
#   TAPSTER_AGENT_BIN  run the agent with this tapster-agent binary (default: tapster-agent beside the tapster
#                   binary when it is there, which the build makes, else `tapster agent`)
#   AGENT_EXECUTABLE=tapster  run the agent as `tapster agent` even when tapster-agent is there
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
#                   or port (`--kind port` into eth0 of a monitor namespace whose veth's other end is in the host's
#                   namespace, where container runtimes keep it: with --datapath kernel (and, added by this script,
#                   --kernel-port-delivery) mirrored in the kernel into
#                   the port; a burst's "delivered" is what that eth0 received; no activation latency)
#                   or recorder (no tap: after tcpdump's sweep, an admin `tapster recorder create bench-rec --filter web
#                   --window RECORDER_WINDOW --max-bytes RECORDER_BYTES`; a burst's "delivered" is what the recorder's
#                   ring took — its `captured` counter's increase — and the summary adds the agent's memory idle,
#                   with the recorder started, and with its ring full, against the limit; see Benchmarks/README.md)
#   RECORDER_BYTES  TARGET=recorder: the recorder's --max-bytes (default 64MiB)
#   RECORDER_WINDOW TARGET=recorder: the recorder's --window (default 30s)
#   LOOKBACK=0      TARGET=recorder: leave out the closing look-back capture (`tapster capture --before`) that
#                   checks the ring holds the last burst (one burst at 10000 packets/s, counted with capinfos)
#   DATAPATH        the agent's --datapath: kernel (default here; the agent's own default is userspace) or userspace
#   IMMEDIATE=1     also sweep `tcpdump --immediate-mode` (libpcap's TPACKET_V2 ring, as the agent opens it)
#   PROFILE=1       also record `perf` system-wide during one more agent burst at top speed and print the
#                   hottest symbols
#   TOOL_HOST=remote  the tool as if on another host (TARGET=erspan or vxlan, with SKIP_LATENCY=1): the tool's eth0
#                   drops every frame at its ingress hook (a classic BPF program `ret #2`, TC_ACT_SHOT, under
#                   clsact), after counting it, instead of receiving it through its IP stack into a socket — work a
#                   veth charges to the sender (the agent) on this machine, and the tool's own host elsewhere
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
[[ ${TARGET:-} != recorder || ${SKIP_RATE:-0} != 1 ]] || die "TARGET=recorder measures through the rate sweep: no SKIP_RATE=1"
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
# TARGET=port: the monitor's namespace; its eth0's other end (<p>m) in the host's namespace, on no bridge. It
# goes with the namespace.
mon_ns=$prefix-mon delivery_ns=$tool_ns
# TOOL_HOST=remote: the tool's interface drops what arrives at its first hook (counted in its rx_packets).
if [[ ${TOOL_HOST:-} == remote ]]; then
    [[ ${TARGET:-erspan} =~ ^(erspan|vxlan)$ ]] || die "TOOL_HOST=remote is for TARGET=erspan or vxlan"
    [[ ${SKIP_LATENCY:-0} == 1 ]] || die "TOOL_HOST=remote needs SKIP_LATENCY=1 (the latency is timed at the tool's socket)"
    ip netns exec "$tool_ns" tc qdisc add dev eth0 clsact
    ip netns exec "$tool_ns" tc filter add dev eth0 ingress pref 1 bpf direct-action bytecode '1,6 0 0 2'
fi
if [[ ${TARGET:-} == port ]]; then
    make_namespace "$mon_ns"
    ip link add "${prefix}m" type veth peer name eth0 netns "$mon_ns"
    echo 1 >"/proc/sys/net/ipv6/conf/${prefix}m/disable_ipv6" 2>/dev/null || true
    ip link set "${prefix}m" up
    ip -n "$mon_ns" link set eth0 up
    delivery_ns=$mon_ns
fi

# ------------------------------------------------------------------------------------ server and agent
# shellcheck disable=SC2119  # no extra `tapster serve` options
start_server

api() { # METHOD PATH [JSON]
    curl -sS --fail-with-body -X "$1" -H "Authorization: Bearer $TAPSTER_TOKEN" -H 'Content-Type: application/json' \
        ${3:+--data "$3"} "$TAPSTER_SERVER$2"
}

write_agent_config agent "$prefix-*" "$web_ns"
target_kind=${TARGET:-erspan}
[[ $target_kind =~ ^(erspan|vxlan|flows|recorder|port)$ ]] || die "TARGET is erspan, vxlan, flows, recorder or port"
[[ $target_kind != port ]] || printf '  - match: { netns: "%s" }\n    labels: { app: mon }\n' "$mon_ns" >>"$work/agent.yaml"
AGENT_ARGS=(--datapath "${DATAPATH:-kernel}")
# Kernel delivery into monitor ports is its own opt-in (docs/agent.md): the benchmark measures it.
[[ $target_kind != port || ${DATAPATH:-kernel} != kernel ]] || AGENT_ARGS+=(--kernel-port-delivery)
start_agent "$prefix-host" agent
agent_pid=$started_pid
wait_for 30 "the agent to enrol and report the web workload" webs_reported 1
"$bin" filter create web --selector app=web >/dev/null
if [[ $target_kind == flows ]]; then
    "$bin" target create tool --kind flows >/dev/null
    receiver=()
elif [[ $target_kind == recorder ]]; then
    # No tap: the recorder is made after tcpdump's sweep (its capture would compete with tcpdump's). A stream
    # target for the closing look-back capture, which an admin may use without a grant.
    "$bin" target create live --kind stream >/dev/null
    receiver=()
elif [[ $target_kind == port ]]; then
    mons_reported() { [[ $("$bin" workload list -l app=mon -o json | "$py" "$tapjson" count) -ge 1 ]]; }
    wait_for 30 "the agent to report the monitor workload" mons_reported
    port_id=$("$bin" workload list -l app=mon -o json \
        | "$py" -c 'import json, sys; print(next(i["id"] for i in json.load(sys.stdin)["items"][0]["interfaces"] if i["name"] == "eth0"))')
    "$bin" target create tool --kind port --port-id "$port_id" >/dev/null
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
elif [[ $target_kind == port && ${SKIP_LATENCY:-0} != 1 ]]; then
    say "activation latency: skipped (TARGET=port: latency.py times the first packet at the tool's tunnel receiver)"
elif [[ $target_kind == recorder && ${SKIP_LATENCY:-0} != 1 ]]; then
    say "activation latency: skipped (TARGET=recorder: a recorder is no tap and sends nothing to a tool)"
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

# TARGET=recorder: the recorder, and its figures as the agent reports them (once a second) through the server.
recorder_name=bench-rec
recorder_bytes=${RECORDER_BYTES:-64MiB}
recorder_window=${RECORDER_WINDOW:-30s}
tx_packets() { ip netns exec "$1" cat /sys/class/net/eth0/statistics/tx_packets; }
# recorder_counters: `HOSTS SOURCES CAPTURED KERNEL_DROPS EVICTED EXPIRED PACKETS_HELD BYTES_HELD BYTES_RESERVED
# FAILURES`, summed over the recorder's hosts (one here) — `GET /api/v1/recorders/bench-rec`.
recorder_counters() { api GET "/api/v1/recorders/$recorder_name" | "$py" "$here/tapjson.py" recorder; }
# recorder_running: whether the agent reports the recorder with its source recording, its ring reserved, no failure.
recorder_running() {
    local r
    read -ra r < <(recorder_counters)
    (( r[0] == 1 && r[1] >= 1 && r[8] > 0 && r[9] == 0 ))
}
rec=()   # the recorder's counters once its last burst had settled: the next burst's baseline
# recorder_settle EXPECTED: waits (up to 20 s) until the recorder's CAPTURED + KERNEL_DROPS reach EXPECTED (the
# baseline's and every packet that crossed web's eth0 since), or stand still over three reads 0.6 s apart (the
# agent reports once a second, and its capture thread reads the kernel's drop count once a second); sets rec.
recorder_settle() {
    local expected=$1 previous="" still=0 deadline=$((SECONDS + 20)) r=()
    while (( SECONDS < deadline )); do
        read -ra r < <(recorder_counters)
        (( r[2] + r[3] >= expected )) && break
        if [[ "${r[2]} ${r[3]}" == "$previous" ]]; then
            still=$((still + 1))
            (( still >= 2 )) && break
        else
            still=0
        fi
        previous="${r[2]} ${r[3]}"
        sleep 0.6
    done
    rec=("${r[@]}")
}
rec_notes=()   # TARGET=recorder: per burst, how the counts reconcile with what crossed web's eth0

tap_datapath=""    # the datapath the agent reported for its first burst's tap, and why not the kernel's
trials=()          # "tool achieved lossy" per burst
declare -A top=()  # tool -> "achieved offered delivered" of its burst at top speed
load_rss="" load_hwm="" load_rate=0
flow_notes=()      # TARGET=flows: per agent burst, its records and the tap's flow counters
declare -A top_cpu=()  # tool -> its CPU time per offered packet in its burst at top speed (printed with TARGET=flows)
tool_ticks=0
# trial TOOL RATE: one burst captured by TOOL (tcpdump | agent); prints a table row and sets lossy=0|1.
trial() {
    local tool=$1 rate=$2 offered captured kernel send=0 delivered lost verdict
    local before_web before_tool before_tx crossed
    before_web=$(rx_packets "$web_ns")
    before_tx=$(tx_packets "$web_ns")
    before_tool=$(rx_packets "$delivery_ns")
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
    elif [[ $target_kind == recorder ]]; then
        # No tap: the recorder runs all along; this burst is what its counters gained since the last one settled.
        local base=("${rec[@]}") rss hwm ticks_before
        echo 5 >"/proc/$agent_pid/clear_refs"   # reset VmHWM: the peak below is this burst's
        if [[ ${profiling:-0} == 1 ]]; then
            perf record -a -g -o "$work/perf.data" -- sleep "$burst_seconds" >"$work/perf.log" 2>&1 &
            local perf_pid=$!
            track $perf_pid
        fi
        ticks_before=$(cpu_ticks "$agent_pid")
        replay "$rate"
        rss=$(status_field "$agent_pid" VmRSS)
        hwm=$(status_field "$agent_pid" VmHWM)
        if [[ ${profiling:-0} == 1 ]]; then wait "$perf_pid" 2>/dev/null || true; untrack "$perf_pid"; fi
        sleep 1.3   # as for a tap: the burst and 1.3 s after it, the whole agent's CPU
        tool_ticks=$(( $(cpu_ticks "$agent_pid") - ticks_before ))
        crossed=$(( $(rx_packets "$web_ns") - before_web + $(tx_packets "$web_ns") - before_tx ))
        recorder_settle $(( base[2] + base[3] + crossed ))
        captured=$(( rec[2] - base[2] ))
        kernel=$(( rec[3] - base[3] ))
        delivered=$captured
        local unaccounted=$(( crossed - captured - kernel ))
        rec_notes+=("$(printf '%-8s ring took %s + kernel drops %s = %s of %s crossing eth0: %s; evicted %s, expired %s; holds %s packets, %s of %s bytes' \
            "$rate" "$captured" "$kernel" "$((captured + kernel))" "$crossed" \
            "$( ((unaccounted == 0)) && echo reconciled || echo "UNACCOUNTED $unaccounted")" \
            "$((rec[4] - base[4]))" "$((rec[5] - base[5]))" "${rec[6]}" "${rec[7]}" "${rec[8]}")")
        if (( achieved >= load_rate )); then load_rate=$achieved load_rss=$rss load_hwm=$hwm; fi
    else
        local id packets cap buffer
        id=$(api POST /api/v1/taps '{"filter":"web","target":"tool","duration":"10m"}' | "$py" "$here/tapjson.py" field id)
        wait_for 10 "the agent to apply tap $id" tap_state_is "$id" applied
        # The path the agent's taps take (the same for every burst): printed in the summary.
        [[ -n $tap_datapath ]] || tap_datapath=$(api GET "/api/v1/taps/$id" | "$py" -c 'import json, sys
a = json.load(sys.stdin)["agents"][0]
print(a.get("datapath", "?") + (" (" + a["datapath_reason"] + ")" if a.get("datapath_reason") else ""))')
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
            delivered=$(( $(rx_packets "$delivery_ns") - before_tool ))
        fi
        if (( achieved >= load_rate )); then load_rate=$achieved load_rss=$rss load_hwm=$hwm; fi
    fi
    offered=$(( $(rx_packets "$web_ns") - before_web ))
    if [[ $target_kind == recorder && $tool == tcpdump* ]]; then
        crossed=$(( offered + $(tx_packets "$web_ns") - before_tx ))
        local unaccounted=$(( crossed - captured - kernel ))
        rec_notes+=("$(printf '%-8s %s wrote %s + kernel drops %s = %s of %s crossing eth0: %s' "$rate" "$tool" "$captured" "$kernel" \
            "$((captured + kernel))" "$crossed" "$( ((unaccounted == 0)) && echo reconciled || echo "UNACCOUNTED $unaccounted")")")
    fi
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

# ------------------------------------------------------------------------------------ TARGET=recorder
# recorder_start: the agent's memory idle (VmRSS, RssAnon, smaps), then the recorder, and the memory with it
# started (its ring reserved, nothing recorded yet); sets rec to its counters (the first burst's baseline).
recorder_start() {
    before_rss=$(status_field "$agent_pid" VmRSS) before_anon=$(status_field "$agent_pid" RssAnon)
    "$py" "$bench_lib/smaps.py" "$agent_pid" "the agent, idle, before the recorder" >"$work/smaps-before.txt"
    say "recorder: tapster recorder create $recorder_name --filter web --window $recorder_window --max-bytes $recorder_bytes"
    "$bin" recorder create "$recorder_name" --filter web --window "$recorder_window" --max-bytes "$recorder_bytes" >/dev/null
    wait_for 30 "the agent to report recorder $recorder_name recording" recorder_running
    sleep 2   # its capture thread's first idle rounds
    read -ra rec < <(recorder_counters)
    started_rss=$(status_field "$agent_pid" VmRSS) started_anon=$(status_field "$agent_pid" RssAnon)
    say "agent idle before the recorder: VmRSS $before_rss kB (RssAnon $before_anon kB); recorder started" \
        "(${rec[1]} source, ${rec[8]} bytes reserved): VmRSS $started_rss kB (RssAnon $started_anon kB)"
}

# recorder_full: after the agent's sweep (its last burst at top speed, far more than the ring holds): the agent's
# memory with the ring full, and smaps before and now.
recorder_full() {
    full=("${rec[@]}")
    full_rss=$(status_field "$agent_pid" VmRSS) full_anon=$(status_field "$agent_pid" RssAnon)
    "$py" "$bench_lib/smaps.py" "$agent_pid" "the agent, the recorder's ring full" >"$work/smaps-full.txt"
    say "agent memory by kind, idle before the recorder and with its ring full (Benchmarks/lib/smaps.py)"
    cat "$work/smaps-before.txt" "$work/smaps-full.txt"
}

# look_back: after 3 quiet seconds, one burst at 10000 packets/s, then `tapster capture --before` reaching back
# to just before it (whole seconds: the burst's length and 1 s) for 2 s: its file must hold exactly the packets
# that crossed web's eth0 in the burst — all from the ring, none live (nothing is sent after it).
look_back() {
    local file=$work/lookback.pcapng rx0 tx0 start crossed before infile status=0
    sleep 3
    rx0=$(rx_packets "$web_ns") tx0=$(tx_packets "$web_ns")
    start=$(date +%s.%N)
    replay 10000
    crossed=$(( $(rx_packets "$web_ns") - rx0 + $(tx_packets "$web_ns") - tx0 ))
    before=$("$py" -c "import math, time; print(math.ceil(time.time() - $start) + 1)")
    say "look-back: tapster capture -F web --target live --before ${before}s --for 2s -w FILE, after one burst of $crossed packets"
    timeout 60 "$bin" capture -F web --target live --before "${before}s" --for 2s -w "$file" \
        >"$work/lookback.out" 2>"$work/lookback.err" || status=$?
    (( status == 0 )) || { cat "$work/lookback.err" >&2; die "the look-back capture failed ($status)"; }
    local counter=capinfos
    if command -v capinfos >/dev/null; then
        infile=$(capinfos -c -M "$file" | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }')
    else   # no capinfos (wireshark-common): count the blocks
        counter=pcapngcount.py
        infile=$("$py" "$repo/Benchmarks/capture/pcapngcount.py" "$file" | awk '{ n += $2 } END { print n + 0 }')
    fi
    sed 's/^/   /' "$work/lookback.err" | tail -n 3
    lookback_line="capture --before ${before}s --for 2s after one burst of $crossed packets at ${achieved} packets/s:"
    lookback_line+=" $infile packets in its file ($counter): $([[ $infile == "$crossed" ]] && echo "all of the burst, nothing else" || echo MISMATCH)"
}

# recorder_delete: deletes the recorder; the agent's VmRSS 3 s later.
recorder_delete() {
    "$bin" recorder delete "$recorder_name" >/dev/null
    sleep 3
    deleted_rss=$(status_field "$agent_pid" VmRSS) deleted_anon=$(status_field "$agent_pid" RssAnon)
}

if [[ ${SKIP_RATE:-0} != 1 ]]; then
    say "capture + forward rate: ${burst_seconds}s bursts of ${frame_size}-byte frames into web's eth0 (loss > $loss_threshold = LOSS)"
    # The tool's GRE receiver: without one, its kernel tries an ICMP "protocol unreachable" per packet, on
    # the agent's CPU (veth delivers in the sender's context). A flows tap sends nothing to the tool.
    sink_pid=""
    # A port's frames are for another MAC: its stack drops them without an answer, so it needs no receiver.
    if [[ $target_kind != flows && $target_kind != recorder && $target_kind != port ]]; then
        ip netns exec "$tool_ns" "$py" "$here/gresink.py" "${receiver[@]}" &
        sink_pid=$!
        track $sink_pid
    fi
    printf '   %-11s %10s %10s %10s %10s %9s %8s %10s %8s\n' tool requested achieved offered captured "k.drops" "a.drops" delivered lost
    sweep tcpdump
    [[ ${IMMEDIATE:-0} == 1 ]] && sweep tcpdump-imm
    [[ $target_kind == recorder ]] && recorder_start
    sweep agent
    [[ $target_kind == recorder ]] && recorder_full
    if [[ ${PROFILE:-0} == 1 ]] && command -v perf >/dev/null; then
        say "profiling one more agent burst at top speed (perf record -a -g)"
        profiling=1
        trial agent max
        profiling=0
        perf report -i "$work/perf.data" --stdio --no-children --sort comm,dso,symbol 2>/dev/null \
            | grep -v '^#' | grep -v '^$' | grep '%' | head -n 40 || true
    fi
    if [[ $target_kind == recorder ]]; then
        say "counts per burst against the packets that crossed web's eth0 (rx + tx): captured + kernel drops"
        printf '   %s\n' "${rec_notes[@]}"
        [[ ${LOOKBACK:-1} == 0 ]] || look_back
        say "the recorder on /metrics"
        curl -sS -H "Authorization: Bearer $TAPSTER_TOKEN" "$TAPSTER_SERVER/metrics" | grep '^tapster_recorder_' | sed 's/^/   /' || true
        recorder_delete
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
    case $target_kind in
        vxlan) agent_kind="VXLAN   " ;; port) agent_kind="port     " ;; flows) agent_kind="flows    " ;; recorder) agent_kind="recorder " ;; *) agent_kind="ERSPAN II" ;;
    esac
    echo "agent ($agent_kind)     $(describe "$agent_clean" "$agent_lossy")${tap_datapath:+; datapath $tap_datapath}"
    ratio=$("$py" -c "print(f'{$agent_clean / max($tcpdump_clean, 1):.2f}')")
    qualifier=$(ratio_qualifier "$tcpdump_lossy" "$agent_lossy")
    echo "ratio agent/tcpdump   ${qualifier}${ratio} (goal >= 1.0)"
    for tool in tcpdump tcpdump-imm agent; do
        [[ -n ${top[$tool]:-} ]] || continue
        read -r achieved offered delivered <<<"${top[$tool]}"
        where="written by $tool"
        if [[ $tool == agent && $target_kind == flows ]]; then where="counted in the agent's flow records"
        elif [[ $tool == agent && $target_kind == recorder ]]; then where="taken by the recorder's ring"
        elif [[ $tool == agent && $target_kind == port ]]; then where="received by the port from the agent"
        elif [[ $tool == agent ]]; then where="received by the tool from the agent"; fi
        printf 'at top speed       %s packets/s offered: %s of %s %s (%s lost)\n' "$achieved" "$delivered" "$offered" \
            "$where" "$(percent_lost "$offered" "$delivered")"
    done
    if [[ $target_kind == flows || $target_kind == recorder ]]; then
        for tool in tcpdump agent; do
            if [[ -n ${top_cpu[$tool]:-} ]]; then printf 'CPU at top speed   %-8s %s\n' "$tool" "${top_cpu[$tool]}"; fi
        done
    fi
fi
echo "agent memory       idle VmRSS ${idle_rss} kB; under load (${load_rate:-0} packets/s) VmRSS ${load_rss:-?} kB, peak VmHWM ${load_hwm:-?} kB; at the end ${final_rss} kB"
if [[ $target_kind == recorder ]]; then
    # full: HOSTS SOURCES CAPTURED KERNEL_DROPS EVICTED EXPIRED PACKETS_HELD BYTES_HELD BYTES_RESERVED FAILURES
    printf 'recorder           --window %s --max-bytes %s (%s bytes reserved, %s source): after the sweep %s packets taken, %s kernel drops, %s evicted, %s expired; holds %s packets in %s bytes (%s)\n' \
        "$recorder_window" "$recorder_bytes" "${full[8]}" "${full[1]}" "${full[2]}" "${full[3]}" "${full[4]}" "${full[5]}" "${full[6]}" "${full[7]}" \
        "$("$py" -c "print(f'{100 * ${full[7]} / max(${full[8]}, 1):.1f}% of the limit')")"
    limit_kb=$(( full[8] / 1024 ))
    printf 'recorder memory    VmRSS (RssAnon) before the recorder %s (%s) kB; started %s (%s) kB; ring full %s (%s) kB; after delete %s (%s) kB\n' \
        "$before_rss" "$before_anon" "$started_rss" "$started_anon" "$full_rss" "$full_anon" "$deleted_rss" "$deleted_anon"
    printf 'recorder cost      ring full - before: VmRSS +%s kB, RssAnon +%s kB, against max-bytes %s kB: overhead %s kB (VmRSS), %s kB (RssAnon)\n' \
        "$((full_rss - before_rss))" "$((full_anon - before_anon))" "$limit_kb" \
        "$((full_rss - before_rss - limit_kb))" "$((full_anon - before_anon - limit_kb))"
    [[ -z ${lookback_line:-} ]] || echo "look-back          $lookback_line"
fi
echo "=========================================================================================="
if [[ ${HOLD:-0} == 1 ]]; then
    hold_forever "bin=$bin agent_pid=$agent_pid web=$web_ns nbr=$nbr_ns tool=$tool_ns pcap=$pcap work=$work"
fi
