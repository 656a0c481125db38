import Foundation
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// A real server and a real agent mirror web ↔ db traffic from network namespaces to a tool, and tshark in the
/// tool's namespace decodes it with no settings.
@Suite("Mirroring end to end", .serialized, .timeLimit(.minutes(5)))
struct MirroringEndToEndTests {
    /// A target kind as `tapster target create` takes it, with what identifies its packets at the tool.
    struct TunnelCase: CustomTestStringConvertible, Sendable {
        var name: String
        var arguments: [String]
        var captureFilter: String
        /// The tshark field and value that must be on every mirrored packet.
        var field: String
        var value: String
        var testDescription: String { name }
    }

    static let tunnels = [
        TunnelCase(name: "erspan2", arguments: ["--kind", "erspan", "--erspan-version", "2", "--session-id", "7"],
                   captureFilter: "proto gre", field: "erspan.spanid", value: "7"),
        TunnelCase(name: "erspan3", arguments: ["--kind", "erspan", "--erspan-version", "3", "--session-id", "9"],
                   captureFilter: "proto gre", field: "erspan.spanid", value: "9"),
        TunnelCase(name: "vxlan", arguments: ["--kind", "vxlan", "--vni", "5001"],
                   captureFilter: "udp port 4789", field: "vxlan.vni", value: "5001"),
        TunnelCase(name: "gre", arguments: ["--kind", "gre", "--gre-key", "42"],
                   captureFilter: "proto gre", field: "gre.key", value: "0x0000002a"),
    ]

    @Test("each tunnel carries exactly the web → db packets, not web → peer", arguments: tunnels)
    func tunnelCarriesExactlyTheWebToDbPackets(_ tunnel: TunnelCase) async throws {
        try await DataPlaneLab.with { lab in
            try await lab.admin(["filter", "create", "web-db", "--selector", "app=web", "--peer-selector", "app=db",
                                 "--bpf", "tcp port 5432"])
            try await lab.admin(["target", "create", "tool", "--destination", lab.topology.tool.address] + tunnel.arguments)
            try await lab.grant(filter: "web-db", target: "tool")
            let listeners = try await lab.listen(["db", "peer"])
            defer { listeners.forEach { $0.stop() } }

            let tap = try await lab.createTap(filter: "web-db", target: "tool")
            try await lab.waitForTap(tap, state: .applied)
            let reference = try await lab.referenceCapture(on: "db")
            defer { reference.stop() }
            let tool = try await lab.toolCapture(captureFilter: tunnel.captureFilter, extra: [tunnel.field])
            defer { tool.stop() }

            try await lab.send(from: "web", to: "db", chunks: 20)
            try await lab.send(from: "web", to: "peer", chunks: 20)
            // db's own interface, less what the bridge flooded to it (a first SYN for the peer, whose MAC it had
            // not learnt yet): the web ↔ db conversation.
            let db = lab.topology["db"].address
            let sent = try await reference.settledSegments().filter { $0.source == db || $0.destination == db }
            let mirrored = await tool.segments(atLeast: sent.count)
            #expect(mirrored == sent, "missing: \(Set(sent).subtracting(mirrored).sorted().prefix(5)), extra: \(Set(mirrored).subtracting(sent).sorted().prefix(5))")
            #expect(tool.rows.allSatisfy { $0[tunnel.field] == tunnel.value }, "\(tool.rows.prefix(3))")
            #expect(!mirrored.contains { $0.destination == lab.topology["peer"].address || $0.source == lab.topology["peer"].address })
            #expect(tool.warnings.isEmpty, "\(tool.warnings)")
        }
    }

    @Test func headersPayloadTruncatesMirroredFramesTo128Bytes() async throws {
        try await DataPlaneLab.with { lab in
            try await lab.admin(["filter", "create", "web", "--selector", "app=web", "--bpf", "tcp port 5432"])
            try await lab.admin(["target", "create", "tool", "--kind", "erspan", "--session-id", "3", "--payload", "headers:128",
                                 "--destination", lab.topology.tool.address])
            try await lab.grant(filter: "web", target: "tool")
            let listeners = try await lab.listen(["db"])
            defer { listeners.forEach { $0.stop() } }
            let tap = try await lab.createTap(filter: "web", target: "tool")
            try await lab.waitForTap(tap, state: .applied)
            let tool = try await lab.toolCapture(captureFilter: "proto gre", extra: ["frame.len"])
            defer { tool.stop() }

            try await lab.send(from: "web", to: "db", chunks: 10, size: 1000)
            let rows = try await eventually(timeout: .seconds(60), "the mirrored data segments") {
                let data = tool.rows.filter { $0["tcp.len"] != nil && $0["tcp.len"] != "" && $0["tcp.len"] != "0" }
                return data.count >= 10 ? data : nil
            }
            // Outer Ethernet 14 + IPv4 20 + GRE with sequence 8 + ERSPAN II 8 = 50 bytes around 128 of frame.
            #expect(rows.allSatisfy { $0["frame.len"] == "178" }, "\(rows.map { $0["frame.len"] ?? "" })")
        }
    }

    @Test func directionInCarriesOnlyWhatTheWorkloadReceives() async throws {
        try await DataPlaneLab.with { lab in
            try await lab.admin(["filter", "create", "db-in", "--selector", "app=db", "--bpf", "tcp port 5432", "--direction", "in"])
            try await lab.admin(["target", "create", "tool", "--kind", "vxlan", "--vni", "77", "--destination", lab.topology.tool.address])
            try await lab.grant(filter: "db-in", target: "tool")
            let listeners = try await lab.listen(["db"])
            defer { listeners.forEach { $0.stop() } }
            let tap = try await lab.createTap(filter: "db-in", target: "tool")
            try await lab.waitForTap(tap, state: .applied)
            let reference = try await lab.referenceCapture(on: "db")
            defer { reference.stop() }
            let tool = try await lab.toolCapture(captureFilter: "udp port 4789", extra: [])
            defer { tool.stop() }

            try await lab.send(from: "web", to: "db", chunks: 15)
            let db = lab.topology["db"].address
            let inbound = try await reference.settledSegments().filter { $0.destination == db }
            let mirrored = await tool.segments(atLeast: inbound.count)
            #expect(mirrored == inbound)
        }
    }

    @Test func portTargetDeliversTheFramesIntoTheMonitorPort() async throws {
        try await DataPlaneLab.with { lab in
            // The monitor port is nobody's neighbour: take it off the bridge, so what arrives there is only ours.
            try lab.topology.run(in: "\(lab.topology.prefix)-lan", ["ip", "link", "set", "mon", "nomaster"])
            let port = try await lab.monitorPortID()
            try await lab.admin(["filter", "create", "web", "--selector", "app=web", "--bpf", "tcp port 5432"])
            try await lab.admin(["target", "create", "monitor", "--kind", "port", "--port-id", port])
            try await lab.grant(filter: "web", target: "monitor")
            let listeners = try await lab.listen(["db"])
            defer { listeners.forEach { $0.stop() } }
            let tap = try await lab.createTap(filter: "web", target: "monitor")
            try await lab.waitForTap(tap, state: .applied)
            let reference = try await lab.referenceCapture(on: "web")
            defer { reference.stop() }
            let monitor = try await LiveTshark(name: "monitor", namespace: lab.topology["mon"].namespace, interface: "eth0",
                                               captureFilter: "tcp port 5432", fields: DataPlaneLab.segmentFields,
                                               topology: lab.topology, directory: lab.scratch)
            defer { monitor.stop() }

            try await lab.send(from: "web", to: "db", chunks: 10)
            let sent = try await reference.settledSegments()
            let delivered = await monitor.segments(atLeast: sent.count)
            #expect(delivered == sent)
        }
    }
}
