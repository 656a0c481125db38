# shellcheck shell=bash
# What the scripts that run one service for a whole test run share (postgres-, containerd-, podman-,
# oidc-provider- and keystone-for-tests.sh): waiting for the service to answer, saying whether it runs, its process
# and its virtualenv. Sourced after the script defines `say`.

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

# ensure_venv DIR REQUIREMENTS WHAT: a virtualenv at DIR, made by the `python3` on PATH, holding the packages of the
# pip requirements file REQUIREMENTS (WHAT names them in messages). Made once: again only when DIR lacks it or the file
# changed since (a copy of it is kept in DIR). Several scripts at once wait for each other (a lock, DIR.flock). Exits 1 saying why when it cannot; pip's output goes to
# standard error.
ensure_venv() {
    local venv=$1 requirements=$2 what=$3
    [[ -f $requirements ]] || { say "missing $requirements"; exit 1; }
    venv_current "$venv" "$requirements" && return 0
    mkdir -p "$(dirname "$venv")"
    exec 8>"$venv.flock"
    flock 8
    if ! venv_current "$venv" "$requirements"; then
        install_venv "$venv" "$requirements" "$what"
    fi
    exec 8>&-
}

venv_current() { [[ -x $1/bin/python ]] && cmp -s "$2" "$1/.tapster-requirements.txt"; }

install_venv() {
    local venv=$1 requirements=$2 what=$3 started=$SECONDS
    command -v python3 >/dev/null 2>&1 || { say "no python3 on PATH to make a virtualenv for $what"; exit 1; }
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        say "$(command -v python3) cannot make virtualenvs (no venv or ensurepip module; Debian's python3 needs python3-venv)"
        exit 1
    fi
    # In place (a virtualenv's scripts name its python by path, so it cannot be built elsewhere and moved): a server
    # still running from an older one should be stopped first.
    say "installing $what into $venv (once), from PyPI"
    rm -rf "$venv"
    if ! python3 -m venv "$venv" >&2 ||
        ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2; then
        rm -rf "$venv"
        say "could not install $what from $requirements (is PyPI reachable?)"
        exit 1
    fi
    cp "$requirements" "$venv/.tapster-requirements.txt"
    say "installed $what in $((SECONDS - started)) s"
}

# pid_runs PIDFILE WORD: whether PIDFILE names a live process (not a zombie) whose command line contains WORD, so that a
# recycled pid is not taken for the service.
pid_runs() {
    local pidfile=$1 word=$2 pid state
    [[ -f $pidfile ]] || return 1
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    state=$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || return 1
    [[ -n $state && $state != Z ]] || return 1
    tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$word"
}

# stop_pid PIDFILE WORD WHAT: SIGTERM to the process of pid_runs PIDFILE WORD, SIGKILL after 20 s; waits until it is gone.
stop_pid() {
    local pidfile=$1 word=$2 what=$3 pid deadline
    pid_runs "$pidfile" "$word" || return 0
    pid=$(cat "$pidfile")
    say "stopping $what (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 20))
    while pid_runs "$pidfile" "$word" && ((SECONDS < deadline)); do sleep 0.2; done
    if pid_runs "$pidfile" "$word"; then
        say "$what did not stop in 20 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
        while pid_runs "$pidfile" "$word"; do sleep 0.2; done
    fi
}

# port_answers PORT: whether something accepts TCP connections on 127.0.0.1:PORT.
port_answers() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
