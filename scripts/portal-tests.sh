#!/usr/bin/env bash
# Browser tests of the portal: installs headless Chromium, its driver and Selenium if missing
# (Debian packages; apt-get update only when something is missing), builds `tapster`, and runs
# Tests/portal/test_portal.py, test_portal_sso.py, test_portal_flows.py and test_portal_approvals.py against a real `tapster serve`.
#
#   scripts/portal-tests.sh
#
# Environment: SCRATCH (SwiftPM build folder, default /var/cache/tapster/build), SWIFT (default swift).
# Screenshots of failed tests land in test-artifacts/portal/. The last line is `N passed, N failed`.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(chromium chromium-driver python3-selenium fonts-liberation)
missing=()
for package in "${packages[@]}"; do
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null)" == installed ]] || missing+=("$package")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    as_root=()
    [[ $(id -u) -eq 0 ]] || as_root=(sudo)
    echo "portal-tests: installing ${missing[*]}"
    apt_options=(-o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
    "${as_root[@]}" apt-get "${apt_options[@]}" -qq update
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" -y -qq --no-install-recommends \
        install "${missing[@]}" >/dev/null
fi

[[ -x /opt/swift/usr/bin/swift ]] && export PATH="/opt/swift/usr/bin:$PATH"
scratch="${SCRATCH:-/var/cache/tapster/build}"
mkdir -p "$scratch" 2>/dev/null && [[ -w "$scratch" ]] || scratch="$PWD/.build"
"${SWIFT:-swift}" build --scratch-path "$scratch" --product tapster
binary="$("${SWIFT:-swift}" build --scratch-path "$scratch" --show-bin-path)/tapster"

# Debian's python3-selenium is for /usr/bin/python3, not for a pyenv python3 earlier on PATH.
# Four scenarios, each with its own server: the portal itself, its flow map, its approval queue, and its single sign-on through a real OpenID
# Provider (scripts/oidc-provider-for-tests.sh; TAPSTER_TEST_OIDC_ISSUER when `make test` started it).
status=0
/usr/bin/python3 Tests/portal/test_portal.py --binary "$binary" | tee -a /dev/stderr | tail -n 1 >"$scratch/portal-summary" || status=$?
/usr/bin/python3 Tests/portal/test_portal_sso.py --binary "$binary" | tee -a /dev/stderr | tail -n 1 >>"$scratch/portal-summary" || status=$?
/usr/bin/python3 Tests/portal/test_portal_flows.py --binary "$binary" | tee -a /dev/stderr | tail -n 1 >>"$scratch/portal-summary" || status=$?
/usr/bin/python3 Tests/portal/test_portal_approvals.py --binary "$binary" | tee -a /dev/stderr | tail -n 1 >>"$scratch/portal-summary" || status=$?
awk '{ passed += $1; failed += $3 } END { printf "%d passed, %d failed\n", passed, failed }' "$scratch/portal-summary"
rm -f "$scratch/portal-summary"
exit "$status"
