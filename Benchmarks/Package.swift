// swift-tools-version:6.2
// PacketKit benchmarks: merge throughput against `mergecap -w`, encapsulation cost per packet.
// Run with ./run.sh (release build, scratch path /var/cache/tapster/bench-build).
// The fleet benchmark: N simulated agents against a real `tapster serve`; run with ./fleet/run.sh.
// cri-pods makes pods through the CRI for ./pods/run.sh (the agent's cost of watching the runtime).
// allocation-bench counts the hot paths' heap allocations over N and 10×N packets; run with ./allocations/run.sh.
// flow-bench feeds a pcapng file through the agent's FlowSink against `tshark -z conv,tcp`; run with ./flows/run.sh.
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
        // glibc's heap statistics (`mallinfo2`, which Swift's Glibc module does not declare) for fleet-bench.
        .target(name: "CHeapStatistics", path: "heap"),
        .executableTarget(
            name: "fleet-bench",
            dependencies: [
                "CHeapStatistics",
                .product(name: "TapsterFleetSimulator", package: "tapster"),
                .product(name: "TapsterSystemTestSupport", package: "tapster"),
            ],
            path: "fleet",
            exclude: ["run.sh"]
        ),
        .executableTarget(
            name: "allocation-bench",
            dependencies: [.product(name: "TapsterAllocationCounting", package: "tapster")],
            path: "allocations",
            exclude: ["run.sh"]
        ),
        .executableTarget(
            name: "flow-bench",
            // TapsterAgent (FlowSink, FlowExport) is reached through the allocation benchmark's product, the one
            // the tapster package exports that links it.
            dependencies: [
                .product(name: "TapsterAllocationCounting", package: "tapster"),
                .product(name: "PacketKit", package: "tapster"),
            ],
            path: "flows",
            exclude: ["run.sh"]
        ),
        .executableTarget(
            name: "cri-pods",
            dependencies: [.product(name: "TapsterSystemTestSupport", package: "tapster")],
            path: "pods",
            exclude: ["run.sh"]
        ),
    ]
)
