#!/usr/bin/env bash
# Removes the release executables in DIR (tapster, tapster-agent) that are older than the link inputs SwiftPM does
# not track — scripts/agent-symbol-order.txt and scripts/agent-text.lds (scripts/release-swift-flags) — so that the
# next `swift build -c release` links them again instead of keeping a link made with the old list. The one place of
# that rule: the Makefile, scripts/build-image.sh and Benchmarks/lib/common.sh call it before their release builds.
#
#   scripts/drop-stale-release.sh DIR
set -euo pipefail
[[ $# == 1 ]] || { echo "usage: scripts/drop-stale-release.sh DIR" >&2; exit 2; }
scripts=$(dirname "${BASH_SOURCE[0]}")
for executable in "$1/tapster" "$1/tapster-agent"; do
    [[ -e $executable ]] || continue
    for input in "$scripts/agent-symbol-order.txt" "$scripts/agent-text.lds"; do
        if [[ $input -nt $executable ]]; then rm -f "$executable"; break; fi
    done
done
