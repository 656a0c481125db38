#!/usr/bin/env bash
# Merge delay with an idle host, end to end: how long after capture a packet reaches the reader of
# `tapster capture -w -` when one of the capture's hosts sends nothing. Three simulated hosts — a real
# `tapster serve` and three real `tapster agent`s (bench-a, bench-b, bench-c, each owning one workload namespace
# labelled app=web) — in network namespaces this script makes (random prefix) and removes on exit, whatever
# happens. Hosts A and B receive steady UDP traffic (RATE datagrams/s each, for DURATION seconds); host C's
# workload receives nothing. One `tapster capture -l app=web -i eth0 -w -` over all three is read by delay.py,
# which notes, for each packet as it arrives, the wall clock minus the packet's capture timestamp. The peer, in
# the same run over the same packets of host A: `tcpdump --immediate-mode -U -w -` in web1's namespace, read the
# same way — the delay of a capture that merges nothing.
#
#   Benchmarks/capture/delay.sh          (as root; builds tapster in release first, minutes the first time)
#
# Environment:
#   BENCH_SCRATCH, SWIFT_BUILD_FLAGS, TAPSTER_BIN   as Benchmarks/capture/run.sh
#   RATE        datagrams/s into each busy workload (default 200)
#   DURATION    seconds of traffic (default 20)
#   HOLD=1      after the summary, keep everything running until Ctrl-C
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
agent_bench=$(cd "$here/../agent" && pwd)   # steady.py
bench_name=delay-bench
# shellcheck source=SCRIPTDIR/../lib/common.sh
source "$here/../lib/common.sh"
rate=${RATE:-200}
duration=${DURATION:-20}

require_root "it makes network namespaces and runs the agents"
require_tools

make_workspace d delay
on_cleanup() {
    if [[ $1 != 0 && -f $work/server.log ]]; then
        echo "delay-bench: failed; the last log lines of the agents, the server and the capture:" >&2
        tail -n 15 "$work"/agent-*.log "$work/server.log" "$work"/capture.err >&2 2>/dev/null
    fi
}
install_cleanup
build_tapster

# ------------------------------------------------------------------------------------------------ network
#   host X:  <p>-webX eth0 10.N.X.2  <—veth—>  <p>-nbrX eth0 10.N.X.3     workload (app=web) and its neighbour
pick_octet
hosts=(1 2 3)
busy=(1 2)
agent_names=([1]=bench-a [2]=bench-b [3]=bench-c)
declare -A web_ns nbr_ns web_ip nbr_ip
for h in "${hosts[@]}"; do
    web_ns[$h]=$prefix-web$h nbr_ns[$h]=$prefix-nbr$h
    web_ip[$h]=10.$octet.$h.2 nbr_ip[$h]=10.$octet.$h.3
    make_namespace "${web_ns[$h]}"
    make_namespace "${nbr_ns[$h]}"
    link_neighbours "${web_ns[$h]}" "02:d0:$hex:0$h:00:02" "${web_ip[$h]}" "${nbr_ns[$h]}" "02:d0:$hex:0$h:00:03" "${nbr_ip[$h]}"
done

# ------------------------------------------------------------------------------------ server and agents
start_server
for h in "${hosts[@]}"; do
    write_agent_config "agent-${agent_names[$h]}" "${web_ns[$h]}" "${web_ns[$h]}"
    start_agent "${agent_names[$h]}" "agent-${agent_names[$h]}"
done
wait_for 30 "the three agents to enrol and report their web workload" webs_reported 3
"$bin" target create live --kind stream >/dev/null
"$bin" filter create web --selector app=web >/dev/null
say_machine
say "namespaces ${web_ns[1]}, ${web_ns[2]} (busy, $rate datagrams/s each) and ${web_ns[3]} (idle); server pid $server_pid"

# ------------------------------------------------------------------------------------------------ readers
"$bin" capture -F web --target live -l app=web -i eth0 --for 10m -w - udp 2>"$work/capture.err" \
    | "$py" "$here/delay.py" --after "$(date +%s.%N)" --output "$work/tapster.delay" >/dev/null &
tapster_reader=$!
track $tapster_reader
ip netns exec "${web_ns[1]}" tcpdump --immediate-mode -U -n -i eth0 --time-stamp-precision=nano -w - udp \
    2>"$work/tcpdump.err" | "$py" "$here/delay.py" --output "$work/tcpdump.delay" >/dev/null &
tcpdump_reader=$!
track $tcpdump_reader

capture_id=""
deadline=$((SECONDS + 15))
until [[ -n $capture_id ]]; do
    (( SECONDS < deadline )) || { cat "$work/capture.err" >&2; die "timed out waiting for the capture to be live"; }
    capture_id=$("$bin" capture list -o json | "$py" "$here/capjson.py" live-id) || capture_id=""
    [[ -n $capture_id ]] || sleep 0.05
done
wait_for 15 "the three agents to apply capture $capture_id" \
    sh -c "'$bin' tap get '$capture_id' -o json | '$py' '$here/capjson.py' applied 3 >/dev/null"
wait_for 10 "tcpdump in ${web_ns[1]} to listen" grep -q 'listening on' "$work/tcpdump.err"

# ------------------------------------------------------------------------------------------------ traffic
say "traffic: ${duration}s into ${web_ns[1]} and ${web_ns[2]}; ${web_ns[3]} idle"
senders=()
for h in "${busy[@]}"; do
    ip netns exec "${nbr_ns[$h]}" "$py" "$agent_bench/steady.py" "${web_ip[$h]}" --pps "$rate" &
    senders+=($!)
    track $!
done
sleep "$duration"
for pid in "${senders[@]}"; do kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; untrack "$pid"; done
sleep 1   # the last packets' way through the merge (its window is an upper bound of 0.5 s)

# Ctrl-C, as a user ends a capture: the CLI closes the pcapng stream, and each reader prints at its end.
pkill -INT -f "capture -F web --target live -l app=web" || true
pkill -INT -f "tcpdump --immediate-mode -U -n -i eth0 --time-stamp-precision=nano" || true
for pid in $tapster_reader $tcpdump_reader; do
    reader_deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && (( SECONDS < reader_deadline )); do sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && die "a reader did not end within 30 s of its capture's SIGINT"
    wait "$pid" || true
    untrack "$pid"
done
[[ -s $work/tapster.delay ]] || { cat "$work/capture.err" >&2; die "the tapster reader counted no packet"; }
[[ -s $work/tcpdump.delay ]] || { cat "$work/tcpdump.err" >&2; die "the tcpdump reader counted no packet"; }

# ------------------------------------------------------------------------------------------------ summary
field() { awk -v name="$2" -v key="$3" '$2 == name { for (i = 3; i < NF; i++) if ($i == key) print $(i + 1) }' "$1"; }
echo
echo "============================ tapster merge delay, one host idle ============================"
echo "machine             $(nproc) cores, kernel $(uname -r); three hosts (bench-a, bench-b busy at $rate datagrams/s each; bench-c idle); ${duration}s; tapster $bin"
while read -r _ name _ count _ p50 _ _ p99 _ _ max _; do
    printf 'tapster capture     %-32s %6s packets  p50 %6s ms  p99 %6s ms  max %6s ms\n' "$name" "$count" "$p50" "$p99" "$max"
done <"$work/tapster.delay"
read -r _ _ _ count _ p50 _ _ p99 _ _ max _ < <(grep ' all ' "$work/tcpdump.delay")
printf 'tcpdump -U (web1)   %-32s %6s packets  p50 %6s ms  p99 %6s ms  max %6s ms\n' "${web_ns[1]}/eth0" "$count" "$p50" "$p99" "$max"
tapster_p99=$(field "$work/tapster.delay" all p99)
echo "goal                p99 < 200 ms with a host idle: $("$py" -c "print('met' if $tapster_p99 < 200 else 'not met')") (${tapster_p99} ms); the merge's window (500 ms) is the bound for a silent host"
echo "capture summary     $(tail -n 1 "$work/capture.err")"
echo "============================================================================================"
if [[ ${HOLD:-0} == 1 ]]; then
    hold_forever "bin=$bin server_pid=$server_pid work=$work"
fi
