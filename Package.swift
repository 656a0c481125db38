// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "tapster",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tapster", targets: ["tapster"]),
        // `tapster agent` alone, for the hosts: see the target.
        .executable(name: "tapster-agent", targets: ["tapster-agent"]),
        .library(name: "PacketKit", targets: ["PacketKit"]),
        .library(name: "TapsterFleetSimulator", targets: ["TapsterFleetSimulator"]),
        // For the benchmarks (Benchmarks/fleet starts and restarts a real server with it).
        .library(name: "TapsterSystemTestSupport", targets: ["TapsterSystemTestSupport"]),
        // For Benchmarks/allocations: the hot paths and the counting malloc (which it brings into the executable).
        .library(name: "TapsterAllocationCounting", targets: ["TapsterAllocationCounting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
    ],
    targets: [
        // The executable: ArgumentParser commands only.
        .executableTarget(
            name: "tapster",
            dependencies: [
                "TapsterCore", "TapsterAPI", "TapsterClient", "TapsterServer", "TapsterAgent", "TapsterAgentCommand", "TapsterPKI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The one exception to "one executable, tapster" (DESIGN.md): `tapster-agent`, the same agent command as
        // `tapster agent` (TapsterAgentCommand) as its root command, for the hosts. The agent's idle memory is mostly
        // clean pages of the executable it runs from, and `tapster` is 260 MB with a 48 MB .text where the agent's
        // code lies scattered among the server's (Hummingbird, SQL, PostgreSQL, Mustache, the portal); this one links
        // the agent and nothing of the server or the client: 194 MB, 34 MB of .text, the idle agent 4.5 MB smaller
        // (Benchmarks/README.md, "An agent-only executable"). `tapster agent` stays, and runs the very same code.
        .executableTarget(
            name: "tapster-agent",
            dependencies: [
                "TapsterAgent", "TapsterAgentCommand", "TapsterCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // The agent's command (`tapster agent`, and `tapster-agent`'s root): its options and the run, shared by both
        // executables.
        .target(
            name: "TapsterAgentCommand",
            dependencies: [
                "TapsterAgent", "TapsterCore", "TapsterProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Domain model, validation, policy, tap state machine, audit chain. Pure, no I/O.
        .target(
            name: "TapsterCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // The process's own settings, which Core (pure) cannot hold: glibc's allocator, tuned at start by the
        // agent and the server, and trimmed by the server.
        .target(name: "TapsterProcess", swiftSettings: swiftSettings),
        // The API's contract: the request and response messages of the native API that are not Core's
        // values themselves, shared by the client and the server.
        .target(
            name: "TapsterAPI",
            dependencies: ["TapsterCore"],
            swiftSettings: swiftSettings
        ),
        // OpenID Connect and JOSE: JWTs checked against a provider's JWKS (signature, issuer, audience, times,
        // nonce), discovery documents, PKCE, and the provider's token endpoints (code, refresh, device grant).
        // The server's identity service and the CLI's login use it.
        .target(
            name: "TapsterOIDC",
            dependencies: [
                "TapsterCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                // The provider's endpoints: discovery, keys, tokens, device authorization, userinfo.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Persistence: one SQL code path over SQLite and PostgreSQL, with migrations.
        .target(
            name: "TapsterStore",
            dependencies: [
                "TapsterCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test support: fresh, migrated databases of either kind (SQLite file, PostgreSQL database). Tests only.
        .target(
            name: "TapsterTestSupport",
            dependencies: [
                "TapsterCore", "TapsterStore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test support for whole-system tests: the real `tapster` binary, server and agent processes,
        // network namespaces, temporary directories. Tests only.
        .target(
            name: "TapsterSystemTestSupport",
            dependencies: [
                "TapsterClient", "TapsterAPI", "TapsterCRI", "PacketKit",
                // The test identity provider's endpoints (OpenIDProvider).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // HTTP API (native v1 and Neutron TaaS), auth, scheduler.
        .target(
            name: "TapsterServer",
            dependencies: [
                "TapsterCore", "TapsterAPI", "TapsterStore", "PacketKit", "TapsterWire", "TapsterPKI", "TapsterObjectStore", "TapsterOIDC",
                "TapsterProcess",
                .product(name: "Hummingbird", package: "hummingbird"),
                // Identity providers: OpenID Connect discovery, keys, tokens and userinfo; Keystone's token validation.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("Resources/openapi.yaml"), .copy("Resources/portal")],
            swiftSettings: swiftSettings
        ),
        // The API client the CLI uses, and how the CLI renders objects (table, JSON, YAML).
        .target(
            name: "TapsterClient",
            dependencies: [
                "TapsterCore", "TapsterAPI", "TapsterOIDC", "TapsterProcess",
                "PacketKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // Packets: BPF compilation now; pcapng and encapsulations as the data plane lands.
        .target(
            name: "PacketKit",
            dependencies: ["CPcap"],
            swiftSettings: swiftSettings
        ),
        // The agent channel: protobuf messages and gRPC service, generated from Protos/ by
        // scripts/generate-wire.sh and committed; and Translation/, the one conversion between them and
        // Core's desired-tap values, which both sides use at the edge.
        .target(
            name: "TapsterWire",
            dependencies: [
                "TapsterCore",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Protos"]
        ),
        // The subset of Kubernetes' CRI (`runtime.v1`) the agent speaks to container runtimes: messages and
        // gRPC client generated from Protos/ by scripts/generate-wire.sh and committed, and the connection
        // over the runtime's unix socket.
        .target(
            name: "TapsterCRI",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Protos"]
        ),
        // The server's certificate authority, join tokens, and the mutual-TLS set-up of the agent channel.
        .target(
            name: "TapsterPKI",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ],
            swiftSettings: swiftSettings
        ),
        // The agent: inventory, reconciler, capture engine (libpcap in workload namespaces), sinks.
        .target(
            name: "TapsterAgent",
            dependencies: [
                "TapsterCore", "PacketKit", "TapsterWire", "TapsterPKI", "CPcap", "CPcapWithoutDBus", "CNetns", "CTrafficControl", "TapsterCRI", "TapsterProcess",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "DequeModule", package: "swift-collections"),
                // The Docker Engine API (Docker, Podman) over its unix socket.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The fleet simulator: N agents' real control channels (join-token enrolment, mutual-TLS gRPC,
        // inventory and status reports, desired sets applied) in one process, without capture; used by the
        // fleet benchmark (Benchmarks/fleet) and its test at small N.
        .target(
            name: "TapsterFleetSimulator",
            dependencies: [
                "TapsterCore", "TapsterAPI", "TapsterWire", "TapsterPKI", "TapsterClient",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ],
            swiftSettings: swiftSettings
        ),
        // Where stored captures go: the local filesystem or an S3-compatible service; signed URLs.
        .target(
            name: "TapsterObjectStore",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Counts heap allocations per thread by defining malloc & co. (forwarding to glibc's) in the executable that
        // links it: only the allocation benchmark and the test binary, through TapsterAllocationCounting.
        .target(name: "CAllocationCounter"),
        // The data plane's hot paths driven packet by packet, and their allocations counted over N and 10×N packets.
        .target(
            name: "TapsterAllocationCounting",
            dependencies: ["CAllocationCounter", "TapsterAgent", "PacketKit"],
            swiftSettings: swiftSettings
        ),
        // setns(2), getifaddrs(3) and raw sockets, for the agent.
        .target(name: "CNetns"),
        // rtnetlink for in-kernel mirrors: VXLAN and veth devices, clsact, cls_bpf filters with police and mirred.
        .target(name: "CTrafficControl"),
        // libpcap (Debian's libpcap-dev, which `make deps` installs). No `pkgConfig`: SwiftPM would put libpcap's
        // `-L/usr/lib/x86_64-linux-gnu` ahead of every search path given to the build, where release builds need
        // scripts/static-libs first to link libpcap statically (scripts/release-swift-flags).
        .systemLibrary(name: "CPcap"),
        // libpcap's D-Bus capture source defined away, so that a static libpcap (release builds) loads no libdbus
        // and libsystemd (Sources/CPcapWithoutDBus/PcapWithoutDBus.c).
        .target(name: "CPcapWithoutDBus"),
        .testTarget(name: "TapsterCoreTests", dependencies: ["TapsterCore", "TapsterAPI", "TapsterSystemTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "TapsterOIDCTests", dependencies: [
            "TapsterOIDC", "TapsterCore",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "_CryptoExtras", package: "swift-crypto"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "PacketKitTests", dependencies: ["PacketKit", "TapsterSystemTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TapsterStoreTests",
            dependencies: ["TapsterCore", "TapsterStore", "TapsterTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TapsterServerTests",
            dependencies: [
                "TapsterCore", "TapsterAPI", "TapsterStore", "TapsterServer", "TapsterClient", "TapsterTestSupport", "TapsterWire", "TapsterPKI",
                "TapsterSystemTestSupport", "TapsterFleetSimulator", "TapsterProcess",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TapsterPKITests",
            dependencies: [
                "TapsterPKI", "TapsterWire",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TapsterAgentTests",
            dependencies: ["TapsterAgent", "TapsterWire", "PacketKit", "TapsterCore", "TapsterSystemTestSupport", "TapsterCRI",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // No allocation per packet: each hot path's allocations over N and 10×N packets (malloc is counted in the whole
        // test binary, per thread, forwarding to glibc's).
        .testTarget(
            name: "AllocationCountTests",
            dependencies: ["TapsterAllocationCounting", "TapsterServer", "TapsterWire", "PacketKit"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TapsterObjectStoreTests", dependencies: ["TapsterObjectStore", "TapsterSystemTestSupport"], swiftSettings: swiftSettings),
        // Whole-system tests: real `tapster serve` and `tapster agent` processes, network namespaces, tshark.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["TapsterCore", "TapsterAPI", "TapsterClient", "PacketKit", "TapsterSystemTestSupport", "TapsterTestSupport",
                           // A token signed by a key the identity provider never had.
                           .product(name: "_CryptoExtras", package: "swift-crypto"), .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TapsterCLITests",
            dependencies: ["TapsterCore", "TapsterAPI", "TapsterClient", "TapsterProcess", "PacketKit", "TapsterSystemTestSupport"],
            swiftSettings: swiftSettings
        ),
        // deploy/ and the image scripts: the container image built and run in real runtimes, the Kubernetes manifests checked.
        .testTarget(
            name: "DeploymentTests",
            dependencies: ["TapsterSystemTestSupport", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
    ]
)
