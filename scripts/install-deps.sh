#!/usr/bin/env bash
# Installs what building, running and testing Tapster need on Debian 12 (bookworm),
# with Swift already at /opt/swift. Idempotent: when everything is present it asks
# dpkg only, calls no apt-get, and prints nothing.
#
#   scripts/install-deps.sh            everything (build, run, tests, browser tests)
#   scripts/install-deps.sh --run      only what `make run` needs (build + run time)
#   scripts/install-deps.sh --test     the same as no argument
#   scripts/install-deps.sh --check    install nothing; list what is missing, exit 1 if anything is
#   scripts/install-deps.sh -v         say what is already there
#
# Tests also need moto's S3 server (PyPI moto[server]) and Schemathesis importable by the `python3` on
# PATH; each is pip-installed only when it is missing (or, for Schemathesis, another version).
set -euo pipefail

# Building: the libpcap module (CPcap: the headers, libpcap.so for debug builds and libpcap.a, which release
# builds link statically: scripts/static-libs) and SQLite.
build_packages=(pkg-config libpcap-dev libsqlite3-dev)
# Running: the agent moves into network namespaces and configures interfaces; libxml2 is what
# Foundation's XML parser (S3 answers) loads.
run_packages=(iproute2 libxml2)
# Testing: tcpdump is the reference for BPF compilation, tshark decodes what the data
# plane writes (pcapng, ERSPAN, VXLAN), PostgreSQL is the second store backend; Debian's python3
# plays the TCP client and server in the capture tests.
test_packages=(tcpdump tshark wireshark-common postgresql python3 python3-pip)
# The Docker Engine API tests run containers with Podman (scripts/podman-for-tests.sh: `podman system service`,
# CNI bridge networking), from a busybox image built locally (no registry).
test_packages+=(podman containernetworking-plugins busybox-static)
# The CRI tests create pods as kubelet does on a containerd of their own (scripts/containerd-for-tests.sh).
test_packages+=(containerd runc)
# DeploymentTests ask the server inside the `tapster` image (scripts/build-image.sh) over HTTP with curl.
test_packages+=(curl)
# The trigger tests run a real Prometheus whose alert rule fires into a real Alertmanager posting to a trigger's webhook.
test_packages+=(prometheus prometheus-alertmanager)
# The S3 object store tests run moto's server (python3 -m moto.server) on loopback.
moto_requirement='moto[server]==5.2.1'
# scripts/schemathesis-tests.sh runs Schemathesis against a real server's OpenAPI document (it reads this pin).
schemathesis_requirement='schemathesis==4.32.5'
# The flow tests validate the OpenAPI sketch `tapster apis -o openapi` prints (scripts/check-openapi.sh uses it too).
openapi_validator_requirement='openapi-spec-validator'

# Portal browser tests. These python3-* packages are for Debian's /usr/bin/python3,
# not for the pyenv `python3` that may come first on PATH: run the tests with /usr/bin/python3.
browser_packages=(chromium chromium-driver python3-selenium fonts-liberation)

mode="test"
verbose=0
check_only=0
for argument in "$@"; do
    case "$argument" in
        --run) mode="run" ;;
        --test | --all) mode="test" ;;
        --check) check_only=1 ;;
        -v | --verbose) verbose=1 ;;
        -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install-deps: unknown argument '$argument' (try --help)" >&2; exit 2 ;;
    esac
done

wanted=("${build_packages[@]}" "${run_packages[@]}")
if [[ $mode == test ]]; then
    wanted+=("${test_packages[@]}" "${browser_packages[@]}")
fi

if [[ ! -x /opt/swift/usr/bin/swift ]] && ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: warning: no Swift toolchain at /opt/swift or on PATH" >&2
fi

installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

missing=()
for package in "${wanted[@]}"; do
    if installed "$package"; then
        [[ $verbose == 1 ]] && echo "install-deps: $package is installed"
    else
        missing+=("$package")
    fi
done

moto_present() {
    /usr/bin/env python3 -c 'import moto.server' >/dev/null 2>&1
}

openapi_validator_present() {
    /usr/bin/env python3 -c 'import openapi_spec_validator' >/dev/null 2>&1
}

schemathesis_present() {
    [[ "$(/usr/bin/env python3 -c 'import schemathesis; print(schemathesis.__version__)' 2>/dev/null)" == "${schemathesis_requirement#*==}" ]]
}

# pip-installs a Python test tool for the python3 on PATH when `present` says it is missing (test mode
# only). Debian's own python3 is "externally managed" (PEP 668), so pip needs --break-system-packages there.
ensure_python_tool() {
    local requirement="$1" present="$2"
    [[ $mode == test ]] || return 0
    if "$present"; then
        [[ $verbose == 1 ]] && echo "install-deps: $requirement is installed for $(command -v python3)"
        return 0
    fi
    if [[ $check_only == 1 ]]; then
        echo "install-deps: missing: python package $requirement" >&2
        return 1
    fi
    local pip_options=(--quiet --disable-pip-version-check)
    if /usr/bin/env python3 -c 'import os, sys, sysconfig; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) else 1)'; then
        pip_options+=(--break-system-packages)
    fi
    echo "install-deps: installing $requirement for $(command -v python3)"
    /usr/bin/env python3 -m pip install "${pip_options[@]}" "$requirement" >/dev/null
    if ! "$present"; then
        echo "install-deps: could not install $requirement" >&2
        return 1
    fi
}

ensure_python_tools() {
    local status=0
    ensure_python_tool "$moto_requirement" moto_present || status=1
    ensure_python_tool "$schemathesis_requirement" schemathesis_present || status=1
    ensure_python_tool "$openapi_validator_requirement" openapi_validator_present || status=1
    return $status
}

if [[ ${#missing[@]} -eq 0 ]]; then
    [[ $verbose == 1 ]] && echo "install-deps: all ${#wanted[@]} packages present"
    ensure_python_tools
    exit 0
fi

if [[ $check_only == 1 ]]; then
    echo "install-deps: missing: ${missing[*]}" >&2
    ensure_python_tools || true
    exit 1
fi

as_root=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        as_root=(sudo)
    else
        echo "install-deps: missing ${missing[*]}; run this script as root to install them" >&2
        exit 1
    fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
# Non-root users must not be given capture rights through a setuid dumpcap.
echo "wireshark-common wireshark-common/install-setuid boolean false" | "${as_root[@]}" debconf-set-selections

apt_options=(-o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
"${as_root[@]}" apt-get "${apt_options[@]}" -qq update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes apt-get "${apt_options[@]}" -y -qq \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    --no-install-recommends install "${missing[@]}" >/dev/null

still_missing=()
for package in "${missing[@]}"; do
    installed "$package" || still_missing+=("$package")
done
if [[ ${#still_missing[@]} -gt 0 ]]; then
    echo "install-deps: could not install ${still_missing[*]}" >&2
    exit 1
fi
echo "install-deps: installed ${#missing[@]} package(s)"
ensure_python_tools
