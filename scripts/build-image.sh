#!/usr/bin/env bash
# Builds the `tapster` container image (an OCI archive) from the release binary and exactly the
# shared libraries it loads: no registry, no base image, no container engine needed to build it.
#
#   scripts/build-image.sh [--binary PATH] [--agent-binary PATH] [--tag NAME:TAG] [--output PATH]
#
#   --binary PATH   the tapster executable to package (default: `swift build -c release --product tapster` with
#                   scripts/release-swift-flags,
#                   incremental, in the Makefile's build folder $SCRATCH); its *.resources bundles beside it go too
#   --agent-binary PATH  the tapster-agent executable (the agent alone, smaller resident memory on the hosts;
#                   default: tapster-agent beside --binary, built as --binary is when neither is given; without
#                   one, the image has tapster only)
#   --tag NAME:TAG  the image's name (default tapster:<the binary's --version>)
#   --output PATH   the archive (default $SCRATCH/images/tapster-<version>.tar)
#
# Then load it where it runs: `podman load -i PATH`, `ctr -n k8s.io images import PATH` (a Kubernetes
# node's containerd) or `docker load -i PATH`; deploy/kubernetes/ uses the image tapster:<version>.
# The image holds /usr/local/bin/tapster (the entrypoint) and its resources, /usr/local/bin/tapster-agent (the same
# agent command as `tapster agent`, in an executable without the server; Package.swift), every library `ldd` names
# (at the paths the binary's loader and RUNPATH look in: libc, libm, zlib, libgcc_s, libxml2 and what it loads)
# and the dynamic loader, /etc/ssl/certs/ca-certificates.crt (HTTPS to S3), an empty /tmp and /run (/var/run).
# No shell, no /etc/passwd: tapster needs neither (it runs as whatever numeric user the pod says).
# Prints the archive's path on standard output.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "build-image: $*" >&2; }
die() { say "$*"; exit 1; }

binary= agent_binary= tag= output=
while [[ $# -gt 0 ]]; do
    case "$1" in
        --binary) [[ $# -ge 2 ]] || die "--binary needs a path"; binary=$2; shift 2 ;;
        --agent-binary) [[ $# -ge 2 ]] || die "--agent-binary needs a path"; agent_binary=$2; shift 2 ;;
        --tag) [[ $# -ge 2 ]] || die "--tag needs NAME:TAG"; tag=$2; shift 2 ;;
        --output) [[ $# -ge 2 ]] || die "--output needs a path"; output=$2; shift 2 ;;
        -h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
done
command -v ldd >/dev/null || die "ldd is required"

# The same build folder as the Makefile's.
if [[ -z ${SCRATCH:-} ]]; then
    SCRATCH=/var/cache/tapster/build
    mkdir -p "$SCRATCH" 2>/dev/null && [[ -w $SCRATCH ]] || SCRATCH=$PWD/.build
fi
if [[ -z $binary ]]; then
    [[ -x /opt/swift/usr/bin/swift ]] && export PATH=/opt/swift/usr/bin:$PATH
    # The Makefile's release flags (static Swift runtime and Foundation, lld, packed relocations, function sections
    # placed by scripts/agent-symbol-order.txt and scripts/agent-text.lds), and as there, executables older than
    # those two removed first: SwiftPM does not track them, and would keep the old link.
    scripts/drop-stale-release.sh "$SCRATCH/release"
    read -ra release_flags <<<"$(grep -v '^#' scripts/release-swift-flags | tr '\n' ' ')"
    say "building the release binaries (swift build -c release ${release_flags[*]} --product tapster, tapster-agent)"
    swift build -c release "${release_flags[@]}" --scratch-path "$SCRATCH" --product tapster >&2
    [[ -n $agent_binary ]] || swift build -c release "${release_flags[@]}" --scratch-path "$SCRATCH" --product tapster-agent >&2
    binary=$(swift build -c release "${release_flags[@]}" --scratch-path "$SCRATCH" --show-bin-path)/tapster
fi
[[ -f $binary && -x $binary ]] || die "no executable at $binary"
binary=$(realpath "$binary")
if [[ -n $agent_binary ]]; then
    [[ -f $agent_binary && -x $agent_binary ]] || die "no executable at $agent_binary"
elif [[ -x $(dirname "$binary")/tapster-agent ]]; then
    agent_binary=$(dirname "$binary")/tapster-agent
else
    # A build of --binary from before tapster-agent existed: the image still runs agents as `tapster agent`.
    say "no tapster-agent beside $binary (swift build --product tapster-agent, or --agent-binary): the image has tapster only"
fi
[[ -z $agent_binary ]] || agent_binary=$(realpath "$agent_binary")

version=$("$binary" --version) || die "$binary --version failed"
[[ -n $version ]] || die "$binary --version printed nothing"
tag=${tag:-tapster:$version}
output=${output:-$SCRATCH/images/tapster-$version.tar}

rootfs=$(mktemp -d "${TMPDIR:-/tmp}/tapster-image.XXXXXX")
trap 'rm -rf "$rootfs"' EXIT

# Copies a host file into the image at the same path, as a regular file (the image has no /lib -> usr/lib
# symlinks; the loader finds a library where ldd found it, or through the binary's RUNPATH).
copy_in() {
    mkdir -p "$rootfs$(dirname "$1")"
    cp -L "$1" "$rootfs$1"
}

mkdir -p "$rootfs/usr/local/bin"
cp "$binary" "$rootfs/usr/local/bin/tapster"
[[ -z $agent_binary ]] || cp "$agent_binary" "$rootfs/usr/local/bin/tapster-agent"
# SwiftPM resource bundles (the server's OpenAPI document, portal templates): Foundation looks for them
# beside the executable. Test targets' bundles stay out.
for bundle in "$(dirname "$binary")"/*.resources; do
    [[ -d $bundle && $bundle != *Tests.resources ]] || continue
    cp -R "$bundle" "$rootfs/usr/local/bin/"
done

# Every library the binaries load, and the loader itself: ldd prints `name => /path (addr)` for a
# library and `/path (addr)` for the loader; linux-vdso has no file.
libraries=$({ ldd "$binary"; [[ -z $agent_binary ]] || ldd "$agent_binary"; } | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
[[ -n $libraries ]] || die "ldd named no libraries for $binary (is it a static binary? then none are needed)"
count=0
for library in $libraries; do
    [[ -f $library ]] || die "ldd names $library, which does not exist"
    copy_in "$library"
    count=$((count + 1))
done
[[ ! -f /etc/ssl/certs/ca-certificates.crt ]] || copy_in /etc/ssl/certs/ca-certificates.crt
mkdir -p "$rootfs/tmp" "$rootfs/run" "$rootfs/var" && chmod 1777 "$rootfs/tmp"
# /var/run is /run, as on every distribution: the agent finds network namespaces as /var/run/netns/<name>
# (the DaemonSet mounts the node's /run/netns).
ln -s ../run "$rootfs/var/run"
chmod 755 "$rootfs"
say "$tag: tapster${agent_binary:+, tapster-agent} and $count libraries ($(du -sh "$rootfs" | cut -f1) unpacked)"

scripts/oci-image.sh --entrypoint /usr/local/bin/tapster --env PATH=/usr/local/bin "$rootfs" "$tag" "$output"
