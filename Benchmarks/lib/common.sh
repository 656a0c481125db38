# shellcheck shell=bash disable=SC2034,SC2154  # globals shared with the sourcing script, both ways
# Shared shell code of the end-to-end benchmarks (Benchmarks/agent/run.sh, Benchmarks/capture/run.sh): sourced
# after `set -euo pipefail` and `bench_name=...`. The functions read and set the caller's globals: work, prefix,
# namespaces, tracked, bin, agent_command, octet, hex, api_port, agent_port, server_pid, started_pid.
bench_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$bench_lib/../.." && pwd)
tapjson=$(cd "$bench_lib/../agent" && pwd)/tapjson.py
py=/usr/bin/python3
if [[ -x /opt/swift/usr/bin/swift ]]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
scratch=${BENCH_SCRATCH:-/var/cache/tapster/bench-release}
namespaces=()   # network namespaces this script made, removed on exit
tracked=()      # PIDs this script started and that may still run, oldest first

# die MESSAGE: prints MESSAGE prefixed with the benchmark's name to stderr and exits 1.
die() { echo "$bench_name: $*" >&2; exit 1; }
# say MESSAGE: prints a progress line.
say() { echo "== $*"; }

# require_root WHAT: fails unless run as root (WHAT says what needs it).
require_root() { [[ $EUID == 0 ]] || die "run as root ($1)"; }

# require_tools: fails without ip, tcpdump, curl, taskset or Debian's python3; installs tcpreplay when missing.
require_tools() {
    local tool
    for tool in ip tcpdump curl taskset; do command -v "$tool" >/dev/null || die "$tool is missing"; done
    [[ -x $py ]] || die "$py is missing (Debian's python3)"
    if ! command -v tcpreplay >/dev/null; then
        say "installing tcpreplay (Debian package) for the traffic generator"
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tcpreplay >/dev/null \
            || die "cannot install tcpreplay (apt-get install tcpreplay)"
    fi
}

# make_workspace LETTER KIND: sets prefix (LETTER + 4 random hex digits) and work (a new temporary folder).
make_workspace() {
    prefix="$1$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')"
    work=$(mktemp -d "${TMPDIR:-/tmp}/tapster-$2-bench.XXXXXX")
}

# track PID: remembers PID for cleanup.
track() { tracked+=("$1"); }
# untrack PID: forgets PID (it has ended).
untrack() {
    local kept=() pid
    for pid in "${tracked[@]}"; do [[ $pid == "$1" ]] || kept+=("$pid"); done
    tracked=("${kept[@]}")
}

# cleanup: the EXIT trap: stops tracked processes newest first, removes the namespaces, calls the script's
# on_cleanup STATUS (if defined), removes the work folder and exits with the script's status.
cleanup() {
    local status=$?
    set +e
    trap - EXIT INT TERM
    local index pid ns
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
    if declare -F on_cleanup >/dev/null; then on_cleanup "$status"; fi
    rm -rf "$work"
    exit "$status"
}

# install_cleanup: runs cleanup on exit, and exits 130 on SIGINT or SIGTERM (which runs it too).
install_cleanup() {
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

# wait_for SECONDS WHAT COMMAND...: polls COMMAND every 50 ms for up to SECONDS; fails with WHAT.
wait_for() {
    local seconds=$1 what=$2; shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        (( SECONDS < deadline )) || die "timed out after ${seconds}s waiting for $what"
        sleep 0.05
    done
}

# build_tapster: sets bin to TAPSTER_BIN, or builds tapster and tapster-agent in release (in scratch, with
# scripts/release-swift-flags) and sets bin to tapster; then agent_command (choose_agent).
build_tapster() {
    if [[ -n ${TAPSTER_BIN:-} ]]; then
        bin=$TAPSTER_BIN
    else
        say "building tapster and tapster-agent (release, scratch $scratch)"
        # The release flags of `make build` (scripts/release-swift-flags: static Swift runtime and Foundation, lld,
        # function sections placed by scripts/agent-symbol-order.txt and scripts/agent-text.lds); as there,
        # executables older than those two are removed first (SwiftPM does not track them, and would keep the old link).
        local release_flags product
        "$repo/scripts/drop-stale-release.sh" "$scratch/release"
        read -ra release_flags <<<"$(grep -v '^#' "$repo/scripts/release-swift-flags" | tr '\n' ' ')"
        for product in tapster tapster-agent; do
            [[ $product == tapster || -z ${TAPSTER_AGENT_BIN:-} && ${AGENT_EXECUTABLE:-} != tapster ]] || continue
            # shellcheck disable=SC2086  # SWIFT_BUILD_FLAGS is a list of arguments
            (cd "$repo" && swift build -c release "${release_flags[@]}" --product "$product" --scratch-path "$scratch" ${SWIFT_BUILD_FLAGS:-}) >>"$work/build.log" 2>&1 \
                || { tail -n 30 "$work/build.log" >&2; die "the release build of $product failed"; }
        done
        bin=$scratch/release/tapster
    fi
    [[ -x $bin ]] || die "no tapster binary at $bin"
    choose_agent
}

# choose_agent: sets agent_command, what start_agent runs: TAPSTER_AGENT_BIN (a tapster-agent executable) when set;
# else `tapster agent` when AGENT_EXECUTABLE=tapster; else tapster-agent beside $bin when it is there (the agent-only
# executable the hosts run, Package.swift), else `$bin agent`. The same command either way.
choose_agent() {
    if [[ -n ${TAPSTER_AGENT_BIN:-} ]]; then
        [[ -x $TAPSTER_AGENT_BIN ]] || die "no tapster-agent binary at $TAPSTER_AGENT_BIN"
        agent_command=("$TAPSTER_AGENT_BIN")
    elif [[ ${AGENT_EXECUTABLE:-} != tapster && -x $(dirname "$bin")/tapster-agent ]]; then
        agent_command=("$(dirname "$bin")/tapster-agent")
    else
        [[ ${AGENT_EXECUTABLE:-tapster} == tapster ]] || die "AGENT_EXECUTABLE is tapster (run \`tapster agent\`) or unset"
        agent_command=("$bin" agent)
    fi
    say "agents run as: ${agent_command[*]}"
}

# pick_octet: sets octet to a random X in 100...249 with 10.X.0.0/16 unused here, and hex to it in hex.
pick_octet() {
    local candidate
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
}

# make_namespace NS: adds network namespace NS (removed on exit) with lo up and IPv6 off.
make_namespace() {
    ip netns add "$1"
    namespaces+=("$1")
    ip -n "$1" link set lo up
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || true
}

# link_neighbours NS_A MAC_A IP_A NS_B MAC_B IP_B: joins the two namespaces' eth0 by a veth pair in one /24,
# with permanent neighbour entries both ways.
link_neighbours() {
    local ns_a=$1 mac_a=$2 ip_a=$3 ns_b=$4 mac_b=$5 ip_b=$6
    ip link add eth0 netns "$ns_a" address "$mac_a" type veth peer name eth0 netns "$ns_b" address "$mac_b"
    ip -n "$ns_a" addr add "$ip_a/24" dev eth0
    ip -n "$ns_a" link set eth0 up
    ip -n "$ns_b" addr add "$ip_b/24" dev eth0
    ip -n "$ns_b" link set eth0 up
    ip -n "$ns_a" neigh replace "$ip_b" lladdr "$mac_b" dev eth0 nud permanent
    ip -n "$ns_b" neigh replace "$ip_a" lladdr "$mac_a" dev eth0 nud permanent
}

# rx_packets NS: the packets NS's eth0 has received.
rx_packets() { ip netns exec "$1" cat /sys/class/net/eth0/statistics/rx_packets; }

# free_port: a TCP port on 127.0.0.1 free right now.
free_port() { "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# status_field PID KEY: the value of KEY (e.g. VmRSS, in kB) in /proc/PID/status.
status_field() { awk -v key="$2" '$1 == key":" { print $2 }' "/proc/$1/status"; }

# start_server [SERVE OPTIONS...]: starts `tapster serve` on free loopback ports with a fresh admin token (exports
# TAPSTER_SERVER and TAPSTER_TOKEN; sets api_port, agent_port, server_pid) and waits until it answers.
start_server() {
    api_port=$(free_port)
    agent_port=$(free_port)
    export TAPSTER_SERVER=http://127.0.0.1:$api_port
    TAPSTER_TOKEN=tap_bench_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
    export TAPSTER_TOKEN
    TAPSTER_ADMIN_TOKEN=$TAPSTER_TOKEN "$bin" serve --listen "127.0.0.1:$api_port" --agent-listen "127.0.0.1:$agent_port" \
        --data-dir "$work/server" "$@" >"$work/server.log" 2>&1 &
    server_pid=$!
    track $server_pid
    disown
    wait_for 60 "the server on $TAPSTER_SERVER" curl -sf "$TAPSTER_SERVER/healthz"
}

# write_agent_config STEM NAMESPACES WEB_NS: writes $work/STEM.yaml: the agent watches the namespaces matching
# NAMESPACES, and labels WEB_NS app=web.
write_agent_config() {
    cat >"$work/$1.yaml" <<YAML
namespaces: ["$2"]
host_interfaces: false
process_namespaces: false
workloads:
  - match: { netns: "$3" }
    labels: { app: web }
YAML
}

# start_agent NAME STEM: enrols an agent (agent_command: `tapster-agent` or `tapster agent`) named NAME with a new
# join token (config $work/STEM.yaml, data $work/STEM, log $work/STEM.log); sets started_pid.
# AGENT_ARGS (an array, when set) are added to the agent's arguments.
start_agent() {
    local join_token
    join_token=$("$bin" agent token create "$1" -o json | "$py" "$tapjson" field token)
    "${agent_command[@]}" --server "127.0.0.1:$agent_port" --join-token "$join_token" --name "$1" \
        --data-dir "$work/$2" --config "$work/$2.yaml" ${AGENT_ARGS[@]+"${AGENT_ARGS[@]}"} >"$work/$2.log" 2>&1 &
    started_pid=$!
    track "$started_pid"
    disown
}

# webs_reported COUNT: whether the server lists at least COUNT workloads labelled app=web.
webs_reported() { [[ $("$bin" workload list -l app=web -o json | "$py" "$tapjson" count) -ge $1 ]]; }

# say_machine: prints the machine's cores and kernel, and the versions of tcpreplay and tcpdump.
say_machine() {
    say "machine: $(nproc) cores, $(uname -r); $(tcpreplay --version 2>&1 | head -1); $(tcpdump --version 2>&1 | head -1)"
}

# replay_plan RATE TOP_COUNT: sets count (packets of a burst of BURST_SECONDS, TOP_COUNT at `max`) and speed
# (tcpreplay's rate arguments) for a burst at RATE.
replay_plan() {
    if [[ $1 == max ]]; then
        count=$2; speed=(--topspeed)
    else
        count=$(($1 * burst_seconds)); speed=(--pps="$1")
    fi
}

# replay_rate FILE: the packets/s tcpreplay reports in its output FILE.
replay_rate() { awk '/Rated:/ { for (i = 1; i <= NF; i++) if ($i ~ /^pps/) print int($(i - 1)) }' "$1"; }

# tcpdump_stat FILE PATTERN: the count on the line of tcpdump's closing report (its stderr, FILE) matching PATTERN.
tcpdump_stat() { awk -v pattern="$2" '$0 ~ pattern { print $1 }' "$1"; }

# sweep TOOL [HOSTS]: calls the script's `trial TOOL RATE` at rising rates until the first lossy burst, then
# bisects between the last clean rate and it (per host: achieved / HOSTS), then one burst at top speed.
sweep() {
    local tool=$1 host_count=${2:-1} last_clean=0 first_lossy="" rate
    for rate in $rates; do
        trial "$tool" "$rate"
        if (( lossy )); then first_lossy=$((achieved / host_count)); break; fi
        last_clean=$((achieved / host_count))
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

# ratio_qualifier PEER_LOSSY OURS_LOSSY: what qualifies the ratio of two clean rates, given where each got lossy.
ratio_qualifier() {
    if [[ $1 == - && $2 != - ]]; then echo "at most "
    elif [[ $1 != - && $2 == - ]]; then echo "at least "
    elif [[ $1 == - && $2 == - ]]; then echo "(generator-bound) "
    fi
    return 0
}

# percent_lost OFFERED DELIVERED: the share of OFFERED not delivered, as "12.3%".
percent_lost() { "$py" -c "print(f'{100 * max($1 - $2, 0) / max($1, 1):.1f}%')"; }

# hold_forever DETAILS: prints how to reach the running setup (and DETAILS), then waits for Ctrl-C or SIGTERM.
hold_forever() {
    echo "holding (Ctrl-C or SIGTERM to clean up): export TAPSTER_SERVER=$TAPSTER_SERVER TAPSTER_TOKEN=$TAPSTER_TOKEN"
    echo "  $1"
    while true; do sleep 1; done
}

# listed SELECTOR: how many workloads the server lists for SELECTOR (up to 1000).
listed() {
    curl -sf -H "Authorization: Bearer $TAPSTER_TOKEN" --get --data-urlencode "selector=$1" --data-urlencode "limit=1000" \
        "$TAPSTER_SERVER/api/v1/workloads" | "$py" "$tapjson" count
}

# cpu_ticks PID: its user + system time so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# cpu_percent BEFORE AFTER SECONDS: the share of one core that BEFORE..AFTER clock ticks are over SECONDS.
cpu_percent() { "$py" -c "print(f'{100 * ($2 - $1) / $(getconf CLK_TCK) / $3:.2f}%')"; }

# delay_summary SECONDS...: p50, p99 and max of the values.
delay_summary() {
    "$py" -c '
import sys
values = sorted(float(v) for v in sys.argv[1:])
def at(q): return values[min(len(values) - 1, int(q * len(values)))]
print(f"p50 {at(0.5):.2f} s, p99 {at(0.99):.2f} s, max {values[-1]:.2f} s")' "$@"
}

# start_platform_agent KEY SOCKET: starts `tapster agent` named $prefix-node whose only workloads come from the
# runtime at SOCKET (KEY: cri-socket or docker-socket); sets agent_pid.
start_platform_agent() {
    cat >"$work/agent.yaml" <<YAML
namespaces: []
host_interfaces: false
process_namespaces: false
$1: $2
YAML
    start_agent "$prefix-node" agent
    agent_pid=$started_pid
}

# measure_idle RUNTIME_PID RUNTIME_NAME WHAT: prints the agent's CPU share and RSS and the runtime's CPU share over
# idle_seconds of nothing changing (WHAT names what runs, e.g. "200 pods").
measure_idle() {
    local agent_before agent_after runtime_before runtime_after
    say "idle for ${idle_seconds}s with $3"
    agent_before=$(cpu_ticks "$agent_pid") runtime_before=$(cpu_ticks "$1")
    sleep "$idle_seconds"
    agent_after=$(cpu_ticks "$agent_pid") runtime_after=$(cpu_ticks "$1")
    echo "idle: agent CPU $(cpu_percent "$agent_before" "$agent_after" "$idle_seconds") of a core, RSS $(( $(status_field "$agent_pid" VmRSS) / 1024 )) MiB;" \
        "$2 CPU $(cpu_percent "$runtime_before" "$runtime_after" "$idle_seconds") of a core ($3)"
}
