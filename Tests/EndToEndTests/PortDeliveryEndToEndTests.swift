import Foundation
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// `port` targets on a shared Linux bridge, with a real server and agent: the monitor receives the mirrored
/// frames, while the bridge learns nothing from them and two taps delivering into each other's monitors do
/// not loop.
@Suite("Port delivery end to end", .serialized, .timeLimit(.minutes(5)))
struct PortDeliveryEndToEndTests {
    /// Before any tap: one datagram each way, so that the bridge knows both ends' ports and does not flood
    /// the first counted datagram to every port — the monitor's too, where it would be counted as mirrored.
    static func introduce(_ a: NetnsTopology.Host, _ b: NetnsTopology.Host, lab: DataPlaneLab) async throws {
        try await UDPTraffic.send(from: a, to: b, count: 1, size: 100, topology: lab.topology, directory: lab.scratch)
        try await UDPTraffic.send(from: b, to: a, count: 1, size: 100, topology: lab.topology, directory: lab.scratch)
    }

    /// The fields that tell mirrored datagrams apart at a monitor.
    static let datagramFields = ["ip.src", "ip.dst", "udp.dstport", "ip.id"]

    @Test func theBridgeLearnsNoTappedAddressOnTheMonitorsPortWhileTheMonitorReceivesTheFrames() async throws {
        try await DataPlaneLab.with { lab in
            let (web, db, mon) = (lab.topology["web"], lab.topology["db"], lab.topology["mon"])
            let port = try await lab.monitorPortID()
            // No BPF: web's datagrams and db's ICMP answers (db's MAC as source) are both mirrored.
            try await lab.admin(["filter", "create", "web", "--selector", "app=web"])
            try await lab.admin(["target", "create", "monitor", "--kind", "port", "--port-id", port])
            try await lab.grant(filter: "web", target: "monitor")
            try await Self.introduce(web, db, lab: lab)
            let tap = try await lab.createTap(filter: "web", target: "monitor")
            try await lab.waitForTap(tap, state: .applied)
            let monitor = try await Self.monitor(mon, filter: "udp port \(UDPTraffic.port)", lab: lab)
            defer { monitor.stop() }

            try await UDPTraffic.send(from: web, to: db, count: 20, size: 100, topology: lab.topology, directory: lab.scratch)

            let received = try await Self.settledRows(of: monitor, atLeast: 20)
            #expect(received.count == 20)
            #expect(received.allSatisfy { $0["ip.src"] == web.address && $0["ip.dst"] == db.address })
            let learned = try lab.topology.learnedAddresses(onPortOf: "mon")
            #expect(!learned.contains(web.mac.lowercased()), "bridge fdb on mon's port: \(learned)")
            #expect(!learned.contains(db.mac.lowercased()), "bridge fdb on mon's port: \(learned)")
        }
    }

    @Test func twoTapsDeliveringIntoEachOthersMonitorsDoNotLoop() async throws {
        try await DataPlaneLab.with(roles: ["web", "db", "mona", "monb"]) { lab in
            let (web, db) = (lab.topology["web"], lab.topology["db"])
            // Each tap's filter selects the other's monitor as well as one end of the conversation.
            try await lab.admin(["filter", "create", "web-and-b", "--selector", "app in (web, monb)", "--bpf", "udp port \(UDPTraffic.port)"])
            try await lab.admin(["filter", "create", "db-and-a", "--selector", "app in (db, mona)", "--bpf", "udp port \(UDPTraffic.port)"])
            try await Self.deliver("web-and-b", into: "mona", as: "into-a", lab: lab)
            try await Self.deliver("db-and-a", into: "monb", as: "into-b", lab: lab)
            try await Self.introduce(web, db, lab: lab)
            let tapA = try await lab.createTap(filter: "web-and-b", target: "into-a")
            let tapB = try await lab.createTap(filter: "db-and-a", target: "into-b")
            try await lab.waitForTap(tapA, state: .applied)
            try await lab.waitForTap(tapB, state: .applied)
            let monitorA = try await Self.monitor(lab.topology["mona"], filter: "udp port \(UDPTraffic.port)", lab: lab)
            defer { monitorA.stop() }
            let monitorB = try await Self.monitor(lab.topology["monb"], filter: "udp port \(UDPTraffic.port)", lab: lab)
            defer { monitorB.stop() }

            try await UDPTraffic.send(from: web, to: db, count: 20, size: 100, topology: lab.topology, directory: lab.scratch)

            // Bounded: each monitor settles at exactly one copy of each datagram (a loop never settles).
            #expect(try await Self.settledRows(of: monitorA, atLeast: 20).count == 20)
            #expect(try await Self.settledRows(of: monitorB, atLeast: 20).count == 20)
        }
    }

    /// tshark on a monitor's eth0, printing ``datagramFields``.
    static func monitor(_ host: NetnsTopology.Host, filter: String, lab: DataPlaneLab) async throws -> LiveTshark {
        try await LiveTshark(name: "monitor-\(host.role)", namespace: host.namespace, interface: "eth0", captureFilter: filter,
                             fields: datagramFields, topology: lab.topology, directory: lab.scratch)
    }

    /// The rows once there are at least `count` and no new one arrived for a second.
    static func settledRows(of tshark: LiveTshark, atLeast count: Int) async throws -> [LiveTshark.Row] {
        var last = -1
        return try await eventually(timeout: .seconds(60), every: .seconds(1), "tshark to settle at \(count)+ rows") {
            let rows = tshark.rows
            defer { last = rows.count }
            return rows.count == last && rows.count >= count ? rows : nil
        }
    }

    /// A `port` target `target` into `role`'s eth0, granted to alice with `filter`.
    static func deliver(_ filter: String, into role: String, as target: String, lab: DataPlaneLab) async throws {
        try await lab.admin(["target", "create", target, "--kind", "port", "--port-id", try await portID(of: role, lab: lab)])
        try await lab.grant(filter: filter, target: target)
    }

    /// The id of `role`'s eth0 (its Neutron port id).
    static func portID(of role: String, lab: DataPlaneLab) async throws -> String {
        let workload = try await lab.workloads(selector: "app=\(role)").first
        return try #require(workload?.interfaces.first { $0.name == "eth0" }?.id, "no eth0 on \(role)")
    }
}
