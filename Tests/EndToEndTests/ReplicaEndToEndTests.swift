import Foundation
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// Several `tapster serve` replicas on one PostgreSQL database (``ReplicaCluster``) with real agents in
/// network namespaces: an agent moves to another replica when its own dies, and a capture read through one
/// replica gets the packets of agents connected to another.
@Suite("Replicas end to end", .serialized, .timeLimit(.minutes(5)))
struct ReplicaEndToEndTests {
    /// The lines of an agent's log that end with `message` and carry every `metadata` pair (`key=value`).
    static func logLines(_ agent: BackgroundProcess?, _ message: String, _ metadata: [String] = []) -> [String] {
        (agent?.stderr ?? "").split(separator: "\n").map(String.init)
            .filter { $0.hasSuffix(" \(message)") && metadata.allSatisfy($0.contains) }
    }

    /// The agent endpoint the agent's control channel last connected to (from its `connected` log line).
    static func connectedServer(_ lab: DataPlaneLab) throws -> String? {
        guard let line = logLines(lab.agent, "connected").last,
              let range = line.range(of: #"server=\S+"#, options: .regularExpression) else { return nil }
        return String(line[range].dropFirst("server=".count))
    }

    @Test("an agent whose replica is killed (kill -9) mid-tap reconnects to the other replica, and the tap keeps mirroring, started once")
    func agentFailsOverAndTheTapKeepsRunning() async throws {
        try await DataPlaneLab.withReplicas(count: 2, agentServers: { $0.replicas.map(\.agentAddress).joined(separator: ",") }) { lab, cluster in
            try await lab.admin(["filter", "create", "web-db", "--selector", "app=web", "--peer-selector", "app=db", "--bpf", "tcp port 5432"])
            try await lab.admin(["target", "create", "tool", "--destination", lab.topology.tool.address, "--kind", "gre", "--gre-key", "42"])
            try await lab.grant(filter: "web-db", target: "tool")
            let listeners = try await lab.listen(["db"])
            defer { listeners.forEach { $0.stop() } }
            let tap = try await lab.createTap(filter: "web-db", target: "tool")
            try await lab.waitForTap(tap, state: .applied, timeout: .seconds(30))

            let first = try #require(try Self.connectedServer(lab), "the agent logged no connection")
            let dead = try #require(cluster.replicas.firstIndex { $0.agentAddress == first }, "connected to \(first), no replica's")
            let alive = cluster.replicas[1 - dead]
            cluster.replicas[dead].kill()
            try await eventually(timeout: .seconds(60), every: .milliseconds(500), "the agent to connect to \(alive.agentAddress)") {
                Self.logLines(lab.agent, "connected", ["server=\(alive.agentAddress)"]).isEmpty ? nil : true
            }

            // The surviving replica reports the tap live on the agent, and its packets still reach the tool.
            let admin = CLI(binary: lab.binary, home: lab.scratch.path + "/admin-alive-home", server: alive.url)
            let shown = try await admin.run(["tap", "get", tap, "-o", "json"], token: lab.adminToken)
            #expect(shown.status == 0, "\(shown)")
            #expect(try lab.decode(Tap.self, shown.stdout).state == .active)
            let reference = try await lab.referenceCapture(on: "db")
            defer { reference.stop() }
            let tool = try await lab.toolCapture(captureFilter: "proto gre", extra: ["gre.key"])
            defer { tool.stop() }
            try await lab.send(from: "web", to: "db", chunks: 20)
            let sent = try await reference.settledSegments()
            let mirrored = await tool.segments(atLeast: sent.count, timeout: .seconds(30))
            #expect(mirrored == sent, "missing: \(Set(sent).subtracting(mirrored).sorted().prefix(5))")

            // One capture all along: applied once, never stopped or restarted by the second replica's plan.
            let logs = "\(lab.agent?.stderr ?? "")\n" + cluster.replicas.enumerated().map { "--- replica \($0.offset + 1):\n\($0.element.log)" }.joined(separator: "\n")
            #expect(Self.logLines(lab.agent, "tap applied", ["tap=\(tap)"]).count == 1, "\(logs)")
            #expect(Self.logLines(lab.agent, "tap stopped", ["tap=\(tap)"]).isEmpty, "\(logs)")
        }
    }

    @Test("tapster capture read through replica 1 with both hosts' agents on replica 2: the same merged pcapng as on one server")
    func captureThroughOneReplicaWithAgentsOnAnother() async throws {
        try await DataPlaneLab.withReplicas(count: 2, roles: ["web1", "web2", "client"], hosts: [["web1", "client"], ["web2"]],
                                            apiReplica: 0, agentServers: { $0.replicas[1].agentAddress }) { lab, cluster in
            try await lab.admin(["target", "create", "live", "--kind", "stream"])
            try await lab.admin(["filter", "create", "web", "--selector", "app=web"])
            try await lab.grant(filter: "web", target: "live")
            let listeners = try await lab.listen(["web1", "web2"])
            defer { listeners.forEach { $0.stop() } }
            let references = (web1: try await lab.referenceCapture(on: "web1"), web2: try await lab.referenceCapture(on: "web2"))
            defer { references.web1.stop(); references.web2.stop() }
            let path = lab.scratch.path + "/web.pcapng"
            let (capture, id) = try await CaptureEndToEndTests.startCapture(
                lab, ["-l", "app=web", "-i", "eth0", "--for", "25s", "-w", path, "tcp", "port", "5432"])
            defer { capture.stop() }
            let record = try lab.decode(Capture.self, try await lab.owner(["capture", "get", id, "-o", "json"]).stdout)
            #expect(record.replica == CaptureReplica(name: ReplicaCluster.name(0), agentAddress: cluster.replicas[0].agentAddress))

            try await lab.send(from: "client", to: "web1", chunks: 20)
            try await lab.send(from: "client", to: "web2", chunks: 30)
            let expected = [CaptureEndToEndTests.interfaceName(lab, host: 0, role: "web1"): try await references.web1.settledSegments(),
                            CaptureEndToEndTests.interfaceName(lab, host: 1, role: "web2"): try await references.web2.settledSegments()]

            #expect(try await capture.waitForExit(timeout: .seconds(60)) == 0, "\(capture.stderr)")
            let total = expected.values.map(\.count).reduce(0, +)
            let summary = capture.stderr.split(separator: "\n").last.map(String.init) ?? ""
            #expect(summary.hasPrefix("capture \(id): \(total) packets from 2 hosts (2 interfaces), 0 dropped;"), "\(capture.stderr)")
            #expect(try CaptureEndToEndTests.capinfos(path).contains("Number of packets:   \(total)"))
            let file = try CaptureEndToEndTests.CaptureFile(path: path)
            #expect(file.interfaces.map(\.name).sorted() == expected.keys.sorted())
            for (name, segments) in expected {
                #expect(file.segments[name] == segments, "\(name)")
                #expect(file.statistics[name]?.received == UInt64(segments.count) && file.statistics[name]?.dropped == 0,
                        "\(name): \(String(describing: file.statistics[name]))")
            }
            #expect(zip(file.timestamps, file.timestamps.dropFirst()).allSatisfy { $0 <= $1 }, "timestamps in file order")
            // Both agents' control channels stayed on replica 2 throughout; the packets went to replica 1.
            for name in lab.agentNames {
                #expect(!Self.logLines(lab.agents[name], "connected", ["server=\(cluster.replicas[1].agentAddress)"]).isEmpty)
            }
        }
    }
}
