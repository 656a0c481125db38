#!/usr/bin/env bash
# Regenerates Sources/TapsterWire/Generated and Sources/TapsterCRI/Generated from their Protos/ with protoc and the
# swift-protobuf and grpc-swift-protobuf plugins, at the versions Package.swift names.
#
# The plugins are built once (release, several minutes) by Tools/ProtocPlugins into
# $PLUGIN_SCRATCH (default /var/cache/tapster/protoc-plugins); the generated code is committed,
# so neither `make run` nor `make test` runs this script.
set -euo pipefail
cd "$(dirname "$0")/.."
PLUGIN_SCRATCH=${PLUGIN_SCRATCH:-/var/cache/tapster/protoc-plugins}

command -v protoc >/dev/null || apt-get install -y protobuf-compiler
for product in protoc-gen-swift protoc-gen-grpc-swift-2; do
    swift build -c release --package-path Tools/ProtocPlugins --scratch-path "$PLUGIN_SCRATCH" --product "$product"
done
bin=$(swift build -c release --package-path Tools/ProtocPlugins --scratch-path "$PLUGIN_SCRATCH" --show-bin-path)

# Each module with its protos: the agent channel (TapsterWire) and the subset of Kubernetes' CRI that the
# agent speaks to container runtimes (TapsterCRI).
generate() {
    local protos=$1/Protos out=$1/Generated files
    rm -rf "$out" && mkdir -p "$out"
    files=$(cd "$protos" && find . -name '*.proto' | sed 's|^\./||' | sort)
    (cd "$protos" && protoc \
        --plugin=protoc-gen-swift="$bin/protoc-gen-swift" \
        --plugin=protoc-gen-grpc-swift-2="$bin/protoc-gen-grpc-swift-2" \
        --swift_opt=Visibility=Public --swift_opt=FileNaming=PathToUnderscores \
        --swift_out="$OLDPWD/$out" \
        --grpc-swift-2_opt=Visibility=Public --grpc-swift-2_opt=FileNaming=PathToUnderscores \
        --grpc-swift-2_out="$OLDPWD/$out" \
        $files)
    echo "generated in $out:" && ls -1 "$out"
}
generate Sources/TapsterWire
generate Sources/TapsterCRI
