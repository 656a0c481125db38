// swift-tools-version:6.2
// PacketKit benchmarks: merge throughput against `mergecap -w`, encapsulation cost per packet.
// Run with ./run.sh (release build, scratch path /var/cache/tapster/bench-build).
import PackageDescription

let package = Package(
    name: "tapster-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "tapster", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "packetkit-bench",
            dependencies: [.product(name: "PacketKit", package: "tapster")]
        ),
    ]
)
