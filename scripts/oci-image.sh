#!/usr/bin/env bash
# Builds an OCI image archive from a directory: no registry, no base image, no daemon.
#
#   scripts/oci-image.sh [options] <rootfs-dir> <name:tag> <out.tar>
#
#   --entrypoint ARG   one element of the image's Entrypoint (repeat for more: --entrypoint /bin/busybox --entrypoint sh)
#   --cmd ARG          one element of the image's Cmd (repeat for more)
#   --env NAME=VALUE   an environment variable (repeat for more; PATH defaults to the usual one)
#   --workdir DIR      the working directory (default /)
#   --arch ARCH        the OCI architecture (default: this machine's, e.g. amd64)
#
# The archive holds one image with one layer (the directory, owned by root, gzip'd):
#   oci-layout, index.json (annotated with org.opencontainers.image.ref.name and
#   io.containerd.image.name), blobs/sha256/<digest> (config, manifest, layer), and a Docker
#   manifest.json beside them, so that each of these loads it:
#     podman load -i out.tar                    \
#     ctr -n k8s.io images import out.tar        } each names it docker.io/library/<name:tag> for a bare <name:tag>,
#     docker load -i out.tar                    /  which is what `podman run <name:tag>` and the CRI resolve
# The same directory and options give the same bytes (sorted entries, fixed times, no gzip name), so
# an unchanged image keeps its digest. Prints the archive's path on standard output.
set -euo pipefail

say() { echo "oci-image: $*" >&2; }
die() { say "$*"; exit 1; }
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

entrypoint=() cmd=() env=() workdir=/ arch=
positional=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --entrypoint) [[ $# -ge 2 ]] || usage; entrypoint+=("$2"); shift 2 ;;
        --cmd) [[ $# -ge 2 ]] || usage; cmd+=("$2"); shift 2 ;;
        --env) [[ $# -ge 2 && $2 == *=* ]] || die "--env takes NAME=VALUE"; env+=("$2"); shift 2 ;;
        --workdir) [[ $# -ge 2 ]] || usage; workdir=$2; shift 2 ;;
        --arch) [[ $# -ge 2 ]] || usage; arch=$2; shift 2 ;;
        -h | --help) usage ;;
        -*) die "unknown option '$1' (try --help)" ;;
        *) positional+=("$1"); shift ;;
    esac
done
[[ ${#positional[@]} -eq 3 ]] || usage
rootfs=${positional[0]} name=${positional[1]} out=${positional[2]}
[[ -d $rootfs ]] || die "no such directory: $rootfs"
[[ $name =~ ^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9._-]+)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] ||
    die "'$name' is not an image name with a tag (e.g. tapster:dev or example.com/team/tapster:1.0)"
for tool in tar gzip sha256sum; do command -v "$tool" >/dev/null || die "$tool is required"; done

if [[ -z $arch ]]; then
    case "$(uname -m)" in
        x86_64) arch=amd64 ;;
        aarch64 | arm64) arch=arm64 ;;
        *) arch=$(uname -m) ;;
    esac
fi
# PATH is what a shell in the image would expect; an --env PATH=... replaces it.
has_path=0
for variable in "${env[@]}"; do [[ $variable == PATH=* ]] && has_path=1; done
[[ $has_path == 1 ]] || env=("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "${env[@]}")

# The name containerd (and so the CRI, resolving `image: <name:tag>`) gives the image: Docker's
# normalisation, docker.io/library/ for a bare name, docker.io/ for a name with a path but no registry.
first=${name%%/*}
if [[ $name != */* ]]; then
    containerd_name=docker.io/library/$name
elif [[ $first == *.* || $first == *:* || $first == localhost ]]; then
    containerd_name=$name
else
    containerd_name=docker.io/$name
fi

# A JSON string literal (escapes backslash, quote and control characters).
json_string() {
    local s=$1
    s=${s//\\/\\\\} s=${s//\"/\\\"} s=${s//$'\n'/\\n} s=${s//$'\t'/\\t} s=${s//$'\r'/\\r}
    printf '"%s"' "$s"
}
# A JSON array of strings from the arguments.
json_array() {
    local out="" item
    for item in "$@"; do out+="${out:+,}$(json_string "$item")"; done
    printf '[%s]' "$out"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/oci-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
blobs=$work/layout/blobs/sha256
mkdir -p "$blobs"

# Stores a file as a blob; sets `digest` (hex) and `size`.
store_blob() {
    digest=$(sha256sum "$1" | cut -d' ' -f1)
    size=$(stat -c %s "$1")
    mv "$1" "$blobs/$digest"
}

# The layer: every entry of the directory, sorted, owned by root, with a fixed time.
(cd "$rootfs" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort) >"$work/entries"
tar -C "$rootfs" --create --file "$work/layer.tar" --no-recursion --files-from "$work/entries" \
    --format=gnu --owner=0 --group=0 --numeric-owner --mtime=@0
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -6 "$work/layer.tar"
store_blob "$work/layer.tar.gz"
layer_digest=$digest layer_size=$size

config_fields="\"Env\":$(json_array "${env[@]}"),\"WorkingDir\":$(json_string "$workdir")"
[[ ${#entrypoint[@]} -gt 0 ]] && config_fields+=",\"Entrypoint\":$(json_array "${entrypoint[@]}")"
[[ ${#cmd[@]} -gt 0 ]] && config_fields+=",\"Cmd\":$(json_array "${cmd[@]}")"
printf '{"created":"1970-01-01T00:00:00Z","architecture":%s,"os":"linux","config":{%s},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"scripts/oci-image.sh"}]}' \
    "$(json_string "$arch")" "$config_fields" "$diff_id" >"$work/config.json"
store_blob "$work/config.json"
config_digest=$digest config_size=$size

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
    "$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$work/manifest.json"
store_blob "$work/manifest.json"
manifest_digest=$digest manifest_size=$size

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":%s,"os":"linux"},"annotations":{"io.containerd.image.name":%s,"org.opencontainers.image.ref.name":%s}}]}' \
    "$manifest_digest" "$manifest_size" "$(json_string "$arch")" "$(json_string "$containerd_name")" "$(json_string "$name")" \
    >"$work/layout/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$work/layout/oci-layout"
# For `docker load`, which reads manifest.json (and ignores the OCI files).
printf '[{"Config":"blobs/sha256/%s","RepoTags":[%s],"Layers":["blobs/sha256/%s"]}]' \
    "$config_digest" "$(json_string "$name")" "$layer_digest" >"$work/layout/manifest.json"

mkdir -p "$(dirname "$out")"
(cd "$work/layout" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort) >"$work/layout-entries"
tar -C "$work/layout" --create --file "$work/image.tar" --no-recursion --files-from "$work/layout-entries" \
    --format=gnu --owner=0 --group=0 --numeric-owner --mtime=@0
mv "$work/image.tar" "$out"
say "$name (sha256:$manifest_digest) -> $out"
echo "$out"
