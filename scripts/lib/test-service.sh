# shellcheck shell=bash
# What the scripts that run one service for a whole test run share (postgres-, containerd- and
# podman-for-tests.sh): waiting for the service to answer, and saying whether it runs. Sourced after the
# script defines `say`.

# wait_until_ready READY RUNNING WHAT LOG SECONDS: calls the function READY every 0.2 s until it succeeds; exits 1
# with the end of LOG when the function RUNNING says the service WHAT stopped, or after SECONDS.
wait_until_ready() {
    local ready=$1 running=$2 what=$3 log=$4 seconds=$5
    local deadline=$((SECONDS + seconds))
    until "$ready"; do
        if ! "$running"; then
            say "$what stopped while starting; the end of $log:"
            tail -n 20 "$log" >&2 || true
            exit 1
        fi
        if ((SECONDS >= deadline)); then
            say "$what not ready after ${seconds}s; the end of $log:"
            tail -n 20 "$log" >&2 || true
            exit 1
        fi
        sleep 0.2
    done
}

# report_status RUNNING READY WHERE: says that the service runs at WHERE when both functions succeed, else that
# it does not (status 1).
report_status() {
    if "$1" && "$2"; then
        say "running at $3"
    else
        say "not running"
        return 1
    fi
}
