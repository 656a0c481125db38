// swift-tools-version: 6.2
// Builds the two protoc plugins that generate Sources/TapsterWire/Generated (see scripts/generate-wire.sh).
// Kept apart from the main package so that its build never compiles the code generators.
import PackageDescription

let package = Package(
    name: "ProtocPlugins",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", exact: "2.4.1"),
    ],
    targets: [
        .executableTarget(name: "plugins-placeholder", path: "Placeholder"),
    ]
)
