#!/usr/bin/env bash
# Removes the release executables in DIR (tapster, tapster-agent) that are older than the link inputs SwiftPM does
# not track — scripts/agent-symbol-order.txt, scripts/agent-text.lds, the linker scripts in scripts/static-libs
# and the static archives they name (scripts/release-swift-flags) — so that the next `swift build -c release` links
# them again instead of keeping a link made with the old inputs (or an archive older than a security update). The
# one place of that rule: the Makefile, scripts/build-image.sh and Benchmarks/lib/common.sh call it before their
# release builds.
#
#   scripts/drop-stale-release.sh DIR
set -euo pipefail
[[ $# == 1 ]] || { echo "usage: scripts/drop-stale-release.sh DIR" >&2; exit 2; }
scripts=$(dirname "${BASH_SOURCE[0]}")
# The archives scripts/static-libs names, where the linker finds them (a name not found is left out).
archives=()
for archive in libpcap.a libstdc++.a; do
    path=$(cc -print-file-name="$archive" 2>/dev/null || true)
    [[ $path == /* ]] && archives+=("$path")
done
for executable in "$1/tapster" "$1/tapster-agent"; do
    [[ -e $executable ]] || continue
    for input in "$scripts/agent-symbol-order.txt" "$scripts/agent-text.lds" "$scripts"/static-libs/*.so "${archives[@]}"; do
        if [[ $input -nt $executable ]]; then rm -f "$executable"; break; fi
    done
done
