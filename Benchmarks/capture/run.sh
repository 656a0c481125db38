#!/usr/bin/env bash
# Live capture benchmark, end to end over two simulated hosts: a real `tapster serve`, two real `tapster agent`s
# (bench-a and bench-b, each owning one workload namespace labelled app=web) and a real `tapster capture -l app=web
# -i eth0 -w FILE` (release build), in network namespaces this script makes (random prefix) and removes on exit,
# whatever happens. It measures:
#
#   1. the highest aggregate rate (packets/s over both hosts) that one `tapster capture` takes live into its
#      merged pcapng without loss — the same tcpreplay bursts, at the same rate into both workloads at once —
#      against the real peer measured in the same run: one `tcpdump -i eth0 -w FILE` per workload namespace;
#      and their ratio tapster/tcpdump;
#   2. the server's peak resident memory (VmHWM) during the fastest burst (and the agents').
#
#   Benchmarks/capture/run.sh          (as root; builds tapster in release first, minutes the first time)
#
# Environment:
#   BENCH_SCRATCH   SwiftPM scratch path of the release build (default /var/cache/tapster/bench-release)
#   SWIFT_BUILD_FLAGS  more arguments for that `swift build` (split on spaces)
#   TAPSTER_BIN     use this tapster binary instead of building one
#   RATES           packets/s per host tried in order, `max` = tcpreplay --topspeed
#                   (default "10000 25000 50000 100000 150000 max"); each tool's sweep stops at its first
#                   lossy burst, and ends with one burst at top speed in any case
#   REFINE          bisection steps between the last clean and the first lossy rate (default 3)
#   BURST_SECONDS   length of each burst (default 2)
#   MAX_PACKETS     packets per host of a top-speed burst (default 300000 x BURST_SECONDS)
#   FRAME_SIZE      bytes per generated Ethernet frame (default 128)
#   LOSS_THRESHOLD  a burst is lossy when a host loses more than this fraction of it, or when any drop
#                   counter is non-zero (default 0.001)
#   REPLAY_CPU      the CPU both tcpreplays are pinned to (default 0; the workloads' receive path, where the
#                   captures copy packets into their rings, runs there too)
#   CAPTURE_BUFFER  `tapster serve --capture-buffer` (default: the server's, 8MiB): the most one capture holds
#                   (packets wait in the merge until every host has passed them, and for a slow reader)
#   SKIP_TCPDUMP=1  leave the peer out (no ratio)
#   KEEP_FILES=1    keep every burst's capture files in the work folder (printed), instead of deleting each
#                   after counting; the folder itself is still removed on exit unless HOLD=1
#   HOLD=1          after the summary, keep everything running (and print how to reach it) until Ctrl-C
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
agent_bench=$(cd "$here/../agent" && pwd)   # pcapgen.py
bench_name=capture-bench
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$here/../lib/common.sh"
rates=${RATES:-"10000 25000 50000 100000 150000 max"}
refine=${REFINE:-3}
burst_seconds=${BURST_SECONDS:-2}
max_packets=${MAX_PACKETS:-$((300000 * burst_seconds))}
frame_size=${FRAME_SIZE:-128}
loss_threshold=${LOSS_THRESHOLD:-0.001}
replay_cpu=${REPLAY_CPU:-0}

require_root "it makes network namespaces and runs the agents"
require_tools
has_capinfos=0
command -v capinfos >/dev/null && has_capinfos=1

# ---------------------------------------------------------------------------------------------- cleanup
make_workspace c capture
# on_cleanup STATUS: after cleanup stopped (newest first) a running capture, the agents (which stop their captures
# on SIGTERM) and the server, and removed the namespaces: on failure, shows the last log lines.
on_cleanup() {
    if [[ $1 != 0 && -f $work/server.log ]]; then
        echo "capture-bench: failed; the last log lines of the agents, the server and the capture:" >&2
        tail -n 15 "$work"/agent-*.log "$work/server.log" "$work"/capture.err >&2 2>/dev/null
    fi
}
install_cleanup

# ------------------------------------------------------------------------------------------------ build
build_tapster

# ------------------------------------------------------------------------------------------------ network
#   host A:  <p>-web1 eth0 10.X.1.2  <—veth—>  <p>-nbr1 eth0 10.X.1.3     workload (app=web) and its neighbour
#   host B:  <p>-web2 eth0 10.X.2.2  <—veth—>  <p>-nbr2 eth0 10.X.2.3
pick_octet
hosts=(1 2)
agent_names=([1]=bench-a [2]=bench-b)
declare -A web_ns nbr_ns web_ip nbr_ip web_mac nbr_mac absent_mac
for h in "${hosts[@]}"; do
    web_ns[$h]=$prefix-web$h nbr_ns[$h]=$prefix-nbr$h
    web_ip[$h]=10.$octet.$h.2 nbr_ip[$h]=10.$octet.$h.3
    web_mac[$h]=02:c0:$hex:0$h:00:02 nbr_mac[$h]=02:c0:$hex:0$h:00:03
    absent_mac[$h]=02:c0:$hex:0$h:00:ee   # the bursts' destination MAC: web's stack drops them at once
    make_namespace "${web_ns[$h]}"
    make_namespace "${nbr_ns[$h]}"
    link_neighbours "${web_ns[$h]}" "${web_mac[$h]}" "${web_ip[$h]}" "${nbr_ns[$h]}" "${nbr_mac[$h]}" "${nbr_ip[$h]}"
done

# ------------------------------------------------------------------------------------ server and agents
serve_options=()
[[ -z ${CAPTURE_BUFFER:-} ]] || serve_options=(--capture-buffer "$CAPTURE_BUFFER")
start_server "${serve_options[@]}"

declare -A agent_pid
for h in "${hosts[@]}"; do
    name=${agent_names[$h]}
    write_agent_config "agent-$name" "${web_ns[$h]}" "${web_ns[$h]}"
    start_agent "$name" "agent-$name"
    agent_pid[$h]=$started_pid
done
wait_for 30 "both agents to enrol and report their web workload" webs_reported 2
"$bin" target create live --kind stream >/dev/null
"$bin" filter create web --selector app=web >/dev/null

sleep 3  # let the agents settle after enrolment and their first inventory
idle_server_rss=$(status_field "$server_pid" VmRSS)

say_machine
say "namespaces ${web_ns[1]} (bench-a), ${web_ns[2]} (bench-b) and their neighbours; server pid $server_pid" \
    "(idle VmRSS ${idle_server_rss} kB), agents ${agent_pid[1]}, ${agent_pid[2]}"

# ------------------------------------------------------------------------------------------------ traffic
declare -A pcap
for h in "${hosts[@]}"; do
    pcap[$h]=$work/traffic$h.pcap
    "$py" "$agent_bench/pcapgen.py" "${pcap[$h]}" --src-mac "${nbr_mac[$h]}" --dst-mac "${absent_mac[$h]}" \
        --src-ip "${nbr_ip[$h]}" --dst-ip "${web_ip[$h]}" --frame-size "$frame_size"
done

# replay RATE: sends BURST_SECONDS worth of packets at RATE from each neighbour into its web's eth0, both at
# once (both tcpreplays on REPLAY_CPU); sets achieved (packets/s summed over both hosts, as tcpreplay measured
# them) and per_host (each host's achieved rate).
replay() {
    local rate=$1 count speed h
    replay_plan "$rate" "$max_packets"
    local pids=()
    for h in "${hosts[@]}"; do
        ip netns exec "${nbr_ns[$h]}" taskset -c "$replay_cpu" tcpreplay -i eth0 -K --loop=0 --limit="$count" \
            "${speed[@]}" "${pcap[$h]}" >"$work/replay$h.out" 2>&1 &
        pids+=($!)
        track $!
    done
    local failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; untrack "$pid"; done
    (( failed == 0 )) || { cat "$work"/replay*.out >&2; die "tcpreplay failed"; }
    achieved=0 per_host=""
    for h in "${hosts[@]}"; do
        local one
        one=$(replay_rate "$work/replay$h.out")
        achieved=$((achieved + one))
        per_host+="${per_host:+/}$one"
    done
}

# ------------------------------------------------------------------------------------------------ bursts
trials=()          # "tool achieved lossy" per burst
declare -A top=()  # tool -> "achieved offered delivered" of its burst at top speed
load_rate=0 load_server_hwm="" load_agent_hwm=""
row_format='   %-8s %9s %17s %9s %15s %15s %9s %9s %9s %8s  %s\n'
# shellcheck disable=SC2059  # every table row shares this format
row() { printf "$row_format" "$@"; }

# verdict OFFERED_1 DELIVERED_1 OFFERED_2 DELIVERED_2 DROPS: sets loss (percent, of the worse host) and
# lossy (0|1).
verdict() {
    local result
    result=$("$py" - "$@" "$loss_threshold" <<'EOF'
import sys
o1, d1, o2, d2, drops = (int(value) for value in sys.argv[1:6])
threshold = float(sys.argv[6])
fractions = [max(o - d, 0) / max(o, 1) for o, d in ((o1, d1), (o2, d2))]
lossy = int(drops > 0 or max(fractions) > threshold)
print(f"{100 * max(fractions):.3f}%", lossy)
EOF
)
    read -r loss lossy <<<"$result"
}

# tcpdump_trial RATE: one burst captured by one `tcpdump -i eth0 -w FILE` per workload namespace.
tcpdump_trial() {
    local rate=$1 h
    declare -A before pid
    for h in "${hosts[@]}"; do
        before[$h]=$(rx_packets "${web_ns[$h]}")
        ip netns exec "${web_ns[$h]}" tcpdump -i eth0 -n -w "$work/tcpdump$h.pcap" 2>"$work/tcpdump$h.err" &
        pid[$h]=$!
        track "${pid[$h]}"
    done
    for h in "${hosts[@]}"; do wait_for 10 "tcpdump in ${web_ns[$h]} to listen" grep -q 'listening on' "$work/tcpdump$h.err"; done
    replay "$rate"
    sleep 1.5   # tcpdump reads TPACKET_V3 blocks, retired at the latest after its 1 s timeout
    declare -A offered captured kernel
    local drops=0
    for h in "${hosts[@]}"; do
        kill -INT "${pid[$h]}"
        wait "${pid[$h]}" 2>/dev/null || true
        untrack "${pid[$h]}"
        offered[$h]=$(( $(rx_packets "${web_ns[$h]}") - before[$h] ))
        captured[$h]=$(tcpdump_stat "$work/tcpdump$h.err" 'packets? captured')
        kernel[$h]=$(tcpdump_stat "$work/tcpdump$h.err" 'dropped by kernel')
        drops=$((drops + kernel[$h]))
        if [[ ${KEEP_FILES:-0} == 1 ]]; then mv "$work/tcpdump$h.pcap" "$work/tcpdump-$rate-$h.pcap"; else rm -f "$work/tcpdump$h.pcap"; fi
    done
    verdict "${offered[1]}" "${captured[1]}" "${offered[2]}" "${captured[2]}" "$drops"
    row tcpdump "$rate" "$achieved ($per_host)" "$((offered[1] + offered[2]))" \
        "${captured[1]}/${captured[2]}" "${kernel[1]}/${kernel[2]}" - - - "$loss" "$( ((lossy)) && echo LOSS)"
    trials+=("tcpdump $achieved $lossy")
    if [[ $rate == max ]]; then top[tcpdump]="$achieved $((offered[1] + offered[2])) $((captured[1] + captured[2]))"; fi
}

capture_json() { "$bin" capture get "$1" -o json; }
live_capture_id() { "$bin" capture list -o json | "$py" "$here/capjson.py" live-id; }
tap_applied_on_both() { "$bin" tap get "$1" -o json | "$py" "$here/capjson.py" applied 2; }

# tapster_trial RATE: one burst captured by one `tapster capture -l app=web -i eth0 -w FILE` over both hosts.
tapster_trial() {
    local rate=$1 h file=$work/capture.pcapng
    declare -A before
    for h in "${hosts[@]}"; do before[$h]=$(rx_packets "${web_ns[$h]}"); done
    "$bin" capture -F web --target live -l app=web -i eth0 --for 5m -w "$file" >"$work/capture.out" 2>"$work/capture.err" &
    local cli=$!
    track $cli
    local id="" deadline=$((SECONDS + 15))
    until [[ -n $id ]]; do
        kill -0 $cli 2>/dev/null || { cat "$work/capture.err" >&2; die "tapster capture exited before it went live"; }
        (( SECONDS < deadline )) || die "timed out waiting for the capture to be live"
        id=$(live_capture_id) || id=""
        [[ -n $id ]] || sleep 0.05
    done
    wait_for 15 "both agents to apply capture $id" tap_applied_on_both "$id"
    if [[ $rate == max ]]; then   # reset VmHWM: the peaks read below are this burst's
        echo 5 >"/proc/$server_pid/clear_refs"
        for h in "${hosts[@]}"; do echo 5 >"/proc/${agent_pid[$h]}/clear_refs"; done
    fi
    replay "$rate"
    local sent
    sent=$(( $(rx_packets "${web_ns[1]}") - before[1] + $(rx_packets "${web_ns[2]}") - before[2] ))
    # Let the capture drain: until it holds every packet sent, or its count stood still for 1.5 s (30 s at most).
    local packets=-1 previous=-2 still=0 drain_deadline=$((SECONDS + 30))
    while (( SECONDS < drain_deadline )); do
        packets=$(capture_json "$id" | "$py" "$here/capjson.py" packets)
        (( packets >= sent )) && break
        if (( packets == previous )); then
            still=$((still + 1))
            (( still >= 6 )) && break
        else
            still=0
        fi
        previous=$packets
        sleep 0.25
    done
    kill -INT $cli
    local status=0 exit_deadline=$((SECONDS + 30))
    while kill -0 $cli 2>/dev/null && (( SECONDS < exit_deadline )); do sleep 0.1; done
    kill -0 $cli 2>/dev/null && { kill -KILL $cli; die "tapster capture did not end within 30 s of SIGINT"; }
    wait $cli || status=$?
    untrack $cli
    (( status == 0 )) || { cat "$work/capture.err" >&2; die "tapster capture exited with $status"; }
    local summary
    summary=$(tail -n 1 "$work/capture.err")
    if [[ $rate == max ]]; then
        load_rate=$achieved
        load_server_hwm=$(status_field "$server_pid" VmHWM)
        load_agent_hwm="$(status_field "${agent_pid[1]}" VmHWM)/$(status_field "${agent_pid[2]}" VmHWM)"
    fi

    # What the capture says (per agent, then the tap's drops by cause) and what its file holds (per interface).
    declare -A offered infile kernel agent server
    local drops=0 name k a s tk tc ts tb
    while read -r name _ _ k a s tk tc ts tb; do
        for h in "${hosts[@]}"; do
            [[ $name == "${agent_names[$h]}" ]] || continue
            kernel[$h]=$(( k > tk ? k : tk ))
            # The tap's `buffer` cause includes the server's drops of the capture (added per agent).
            agent[$h]=$(( a > tc + ts + tb - s ? a : tc + ts + tb - s ))
            server[$h]=$s
            drops=$((drops + kernel[$h] + agent[$h] + server[$h]))
        done
    done < <({ capture_json "$id"; "$bin" tap get "$id" -o json; } | "$py" "$here/capjson.py" agents)
    "$py" "$here/pcapngcount.py" "$file" >"$work/counts" 2>>"$work/capture.err"
    local total=0 interface count
    for h in "${hosts[@]}"; do
        offered[$h]=$(( $(rx_packets "${web_ns[$h]}") - before[$h] ))
        infile[$h]=0
        kernel[$h]=${kernel[$h]:-0} agent[$h]=${agent[$h]:-0} server[$h]=${server[$h]:-0}
    done
    while read -r interface count; do
        total=$((total + count))
        for h in "${hosts[@]}"; do
            if [[ $interface == "${agent_names[$h]}/${web_ns[$h]}/eth0" ]]; then infile[$h]=$((infile[$h] + count)); fi
        done
    done <"$work/counts"
    if (( has_capinfos )); then
        local reference
        reference=$(capinfos -c -M "$file" 2>/dev/null | awk -F: '/Number of packets/ { gsub(/ /, "", $2); print $2 }')
        [[ $reference == "$total" ]] || echo "   (capinfos counts $reference packets in $file, pcapngcount.py $total)" >&2
    fi
    if [[ ${KEEP_FILES:-0} == 1 ]]; then mv "$file" "$work/capture-$rate.pcapng"; else rm -f "$file"; fi
    echo "   $rate: $summary" >>"$work/summaries"

    verdict "${offered[1]}" "${infile[1]}" "${offered[2]}" "${infile[2]}" "$drops"
    row tapster "$rate" "$achieved ($per_host)" "$((offered[1] + offered[2]))" \
        "${infile[1]}/${infile[2]}" "${kernel[1]}/${kernel[2]}" "${agent[1]}/${agent[2]}" \
        "${server[1]}/${server[2]}" "$((total - infile[1] - infile[2]))" "$loss" "$( ((lossy)) && echo LOSS)"
    trials+=("tapster $achieved $lossy")
    if [[ $rate == max ]]; then top[tapster]="$achieved $((offered[1] + offered[2])) $((infile[1] + infile[2]))"; fi
}

# trial TOOL RATE: one burst captured by TOOL (tcpdump | tapster), for sweep.
trial() { "${1}_trial" "$2"; }

# onset TOOL: "CLEAN LOSSY" — the lowest aggregate achieved rate with loss (or "-"), and the highest without
# loss below it (a clean burst above the first lossy one, e.g. at top speed, is luck, not capacity).
onset() {
    local clean=0 lossy_min="-" entry tool rate bad
    for entry in "${trials[@]}"; do
        read -r tool rate bad <<<"$entry"
        [[ $tool == "$1" ]] || continue
        if (( bad )) && { [[ $lossy_min == - ]] || (( rate < lossy_min )); }; then lossy_min=$rate; fi
    done
    for entry in "${trials[@]}"; do
        read -r tool rate bad <<<"$entry"
        [[ $tool == "$1" ]] || continue
        if (( !bad && rate > clean )) && { [[ $lossy_min == - ]] || (( rate < lossy_min )); }; then clean=$rate; fi
    done
    echo "$clean $lossy_min"
}

say "live capture rate: ${burst_seconds}s bursts of ${frame_size}-byte frames into both workloads' eth0 at once" \
    "(a host losing > $loss_threshold, or any drop = LOSS)"
row tool "rate/host" "achieved (A/B)" offered "captured A/B" "k.drops A/B" "a.drops" "s.drops" other lost
[[ ${SKIP_TCPDUMP:-0} == 1 ]] || sweep tcpdump 2
sweep tapster 2
say "tapster capture's own summaries"
cat "$work/summaries"

# ------------------------------------------------------------------------------------------------ summary
echo
echo "============================ tapster live capture benchmark ============================"
echo "machine             $(nproc) cores, kernel $(uname -r); ${frame_size}-byte frames; two hosts (agents bench-a, bench-b); capture buffer ${CAPTURE_BUFFER:-default}; tapster $bin"
describe() { # TOOL CLEAN LOSSY
    if [[ $3 != - ]]; then echo "$2 packets/s without loss, loss from $3 packets/s"
    elif [[ -n ${top[$1]:-} ]]; then echo ">= $2 packets/s (no loss up to the generator's top speed)"
    else echo ">= $2 packets/s (no loss at any rate tried)"; fi
}
read -r capture_clean capture_lossy <<<"$(onset tapster)"
if [[ ${SKIP_TCPDUMP:-0} != 1 ]]; then
    read -r tcpdump_clean tcpdump_lossy <<<"$(onset tcpdump)"
    echo "tcpdump -w (x2)     $(describe tcpdump "$tcpdump_clean" "$tcpdump_lossy")  [both hosts together]"
fi
echo "tapster capture     $(describe tapster "$capture_clean" "$capture_lossy")  [both hosts together]"
if [[ ${SKIP_TCPDUMP:-0} != 1 ]]; then
    ratio=$("$py" -c "print(f'{$capture_clean / max($tcpdump_clean, 1):.3f}')")
    qualifier=$(ratio_qualifier "$tcpdump_lossy" "$capture_lossy")
    echo "ratio tapster/tcpdump  ${qualifier}${ratio}"
fi
for tool in tcpdump tapster; do
    [[ -n ${top[$tool]:-} ]] || continue
    read -r rate offered delivered <<<"${top[$tool]}"
    printf 'at top speed        %s packets/s offered: %s of %s in the %s file(s) (%s lost)\n' "$rate" "$delivered" "$offered" \
        "$tool" "$(percent_lost "$offered" "$delivered")"
done
if [[ -n $load_server_hwm ]]; then
    echo "server memory       idle VmRSS ${idle_server_rss} kB; peak VmHWM ${load_server_hwm} kB during the top-speed burst (${load_rate} packets/s) and its drain; at the end VmRSS $(status_field "$server_pid" VmRSS) kB"
    echo "agents' memory      peak VmHWM ${load_agent_hwm} kB (bench-a/bench-b) during the top-speed burst"
else
    echo "server memory       idle VmRSS ${idle_server_rss} kB; at the end VmRSS $(status_field "$server_pid" VmRSS) kB (no top-speed burst: RATES without max)"
fi
echo "========================================================================================"
if [[ ${HOLD:-0} == 1 ]]; then
    hold_forever "bin=$bin server_pid=$server_pid agents=${agent_pid[1]},${agent_pid[2]} webs=${web_ns[1]},${web_ns[2]} work=$work"
fi
