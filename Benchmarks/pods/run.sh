#!/usr/bin/env bash
# The agent's cost of watching a container runtime through the CRI: the test containerd
# (scripts/containerd-for-tests.sh: CRI plugin, CNI bridge), a real `tapster serve` and a real
# `tapster agent --cri-socket`, with PODS idle pods made through the CRI as kubelet makes them (Benchmarks/pods/main.swift).
#
#   sudo Benchmarks/pods/run.sh                          # release builds of tapster and cri-pods first
#   PODS=200 SAMPLES=20 IDLE_SECONDS=30 Benchmarks/pods/run.sh
#
# Prints:
#   - idle: the agent's CPU (% of one core) and resident memory over IDLE_SECONDS with PODS pods running and
#     nothing changing, and containerd's CPU over the same time (what the agent's polling costs the runtime);
#   - listed / covered p50 / p99 / max over SAMPLES pods started one at a time while a tap on their label is
#     live: from StartContainer returning to the server listing the pod (GET /api/v1/workloads, every 50 ms),
#     and to the agent capturing on the pod's eth0 for the tap (its "capture started" log line).
# Everything it made is removed on exit (pods, server, agent, folder); containerd stays for the tests
# (scripts/containerd-for-tests.sh stop ends it).
set -euo pipefail
bench_name=pods-bench
# shellcheck source=../lib/common.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../lib/common.sh"

pods=${PODS:-200}
samples=${SAMPLES:-20}
idle_seconds=${IDLE_SECONDS:-30}

require_root "pods, the agent"
[[ -x $py ]] || die "$py is missing (Debian's python3)"
make_workspace p pods
install_cleanup
sandboxes=()
on_cleanup() {
    if [[ $1 != 0 && -f $work/agent.log ]]; then echo "the agent's log:" >&2; tail -n 20 "$work/agent.log" >&2; fi
    if ((${#sandboxes[@]})); then say "removing ${#sandboxes[@]} pods"; "$pods_tool" remove "${sandboxes[@]}" || true; fi
}

build_tapster
say "building cri-pods (release, scratch $scratch)"
(cd "$repo/Benchmarks" && swift build -c release --product cri-pods --scratch-path "$scratch") >"$work/build-pods.log" 2>&1 \
    || { tail -n 30 "$work/build-pods.log" >&2; die "the release build of cri-pods failed"; }
pods_tool=$scratch/release/cri-pods
socket=$("$repo/scripts/containerd-for-tests.sh" start)
export TAPSTER_TEST_CONTAINERD_SOCKET=$socket
runtime_pid=$(cat "$(dirname "$socket")/containerd.pid")
namespace=$prefix-bench

say "starting $pods idle pods in namespace $namespace"
for index in $(seq "$pods"); do
    sandboxes+=("$("$pods_tool" run "$namespace" "idle-$index" app=idle)")
done

start_server
start_platform_agent cri-socket "$socket"
all_idle_listed() { [[ $(listed "k8s.namespace=$namespace,app=idle") -ge $pods ]]; }
wait_for 300 "$pods pods listed" all_idle_listed
measure_idle "$runtime_pid" containerd "$pods pods"

# A live tap on the probes' label, mirrored to a VXLAN tool on loopback: "covered" is the agent capturing on the pod.
"$bin" filter create probe --selector app=probe >/dev/null
"$bin" target create tool --kind vxlan --vni 7 --destination 127.0.0.1 >/dev/null
tap=$("$bin" tap create --filter probe --target tool --for 30m -o json | "$py" "$tapjson" field id)

now() { date +%s.%N; }
listed_delays=() covered_delays=()
say "$samples pods started one at a time under tap $tap"
for index in $(seq "$samples"); do
    name=probe-$index
    sandbox=$("$pods_tool" run "$namespace" "$name" app=probe)
    started=$(now)
    sandboxes+=("$sandbox")
    until [[ $(listed "k8s.namespace=$namespace,app=probe") -ge 1 ]]; do sleep 0.05; done
    listed_delays+=("$("$py" -c "print($(now) - $started)")")
    until grep -q "source=$namespace/$name/eth0 .*tap=$tap.* capture started" "$work/agent.log"; do sleep 0.05; done
    covered_delays+=("$("$py" -c "print($(now) - $started)")")
    "$pods_tool" remove "$sandbox"
    unset 'sandboxes[-1]'
    until [[ $(listed "k8s.namespace=$namespace,app=probe") -eq 0 ]]; do sleep 0.05; done
done
echo "listed  (StartContainer -> listed by the server):      $(delay_summary "${listed_delays[@]}")"
echo "covered (StartContainer -> the tap captures on eth0):  $(delay_summary "${covered_delays[@]}")"
