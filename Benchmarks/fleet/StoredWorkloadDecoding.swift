import Foundation
import TapsterCore

/// What decoding one stored workload costs the server — what a reconnect storm pays most for: each agent's
/// host's workloads are read (and decoded) for its first desired set and again to merge its inventory, and
/// a restarted server decodes every workload once to plan. Measured over the same records, in one run,
/// with ``TapsterJSON/decoder()`` and with a `JSONDecoder` as it was before `2547960`: Foundation's own
/// `convertFromSnakeCase` and ISO 8601 parser, the peer it is compared against.
enum StoredWorkloadDecoding {
    /// Microseconds per record, the best of `rounds` passes over `count` records, for each decoder.
    static func measure(count: Int, rounds: Int = 5) throws -> (tapster: Double, foundation: Double) {
        let bodies = try records(count).map { try TapsterJSON.encoder().encode($0) }
        let foundation = JSONDecoder()
        foundation.keyDecodingStrategy = .convertFromSnakeCase
        foundation.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
                ?? (try? Date.ISO8601FormatStyle().parse(text)) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not an ISO 8601 time")
            }
            return Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
        }
        let tapster = TapsterJSON.decoder()
        // Both must read the records back whole, or the comparison means nothing.
        for body in bodies.prefix(100) {
            guard try tapster.decode(Workload.self, from: body) == (try foundation.decode(Workload.self, from: body)) else {
                throw BenchError("the two decoders read a stored workload differently")
            }
        }
        var best = (tapster: Double.infinity, foundation: Double.infinity)
        for _ in 0..<rounds {
            best.tapster = min(best.tapster, try microseconds(decoding: bodies, with: tapster))
            best.foundation = min(best.foundation, try microseconds(decoding: bodies, with: foundation))
        }
        return best
    }

    private static func microseconds(decoding bodies: [Data], with decoder: JSONDecoder) throws -> Double {
        let start = ContinuousClock.now
        var interfaces = 0
        for body in bodies { interfaces += try decoder.decode(Workload.self, from: body).interfaces.count }
        precondition(interfaces == bodies.count)
        let elapsed = ContinuousClock.now - start
        return (Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12) / Double(bodies.count)
    }

    /// Workloads as a simulated host's inventory is stored (``TapsterFleetSimulator/SimulatedHost``): a named
    /// network namespace with labels and one interface, reported by its agent, with its tenancy's start.
    static func records(_ count: Int) -> [Workload] {
        let since = Date(timeIntervalSince1970: 1_796_000_000.123)
        return (0..<count).map { number in
            var spec = WorkloadSpec(name: "w\(number % 20)", kind: .netns, host: "fleet-\(number / 20)",
                                    labels: ["app": number % 20 == 0 ? "web" : "svc\(number % 20)"], netns: "w\(number % 20)",
                                    interfaces: [WorkloadInterface(name: "eth0", mac: String(format: "02:00:%02x:%02x:%02x:%02x", 0, (number >> 16) & 255,
                                                                                               (number >> 8) & 255, number & 255),
                                                                   ips: [try! IPAddress(parsing: "10.\((number >> 16) & 255).\((number >> 8) & 255).\(number & 255)")])],
                                    reportedBy: "fleet-\(number / 20)")
            spec.tenantSince = since
            return Workload(createdAt: since, updatedAt: since.addingTimeInterval(1.5), spec: spec)
        }
    }
}
