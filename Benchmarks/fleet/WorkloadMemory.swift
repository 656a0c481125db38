import CHeapStatistics
import Foundation
import TapsterCore

/// What the server's planning model holds per workload it keeps (issue #10): the heap of one workload as decoded from
/// the store, and once interned (``WorkloadInterner``, as the model keeps them), its share of the interner's table
/// included. Measured as the live heap's growth (glibc's `mallinfo2`) over `count` workloads decoded from their stored
/// JSON, for the fleet simulator's workloads and for Kubernetes pods as a node's agent reports them.
enum WorkloadMemory {
    /// The kinds of workloads measured.
    enum Shape: String, CaseIterable {
        /// ``StoredWorkloadDecoding/records(_:)``: what the fleet simulator's hosts report (short names, one label).
        case simulator = "the simulator's workloads"
        /// Pods of deployments of 3 replicas each, of 10 teams, 30 pods on each node (each of another deployment): node
        /// names as clouds give them, the labels of `app.kubernetes.io`, a `pod-template-hash` per deployment, a
        /// namespace, a uid and an image.
        case pods = "Kubernetes pods"
    }

    /// Bytes per workload, as decoded and interned, and the microseconds each pass took per workload (one pass each:
    /// a first figure for interning's cost, not a timing benchmark).
    static func measure(_ shape: Shape, count: Int) throws
        -> (decoded: Double, interned: Double, decodingMicroseconds: Double, internedMicroseconds: Double) {
        let records = switch shape {
        case .simulator: StoredWorkloadDecoding.records(count)
        case .pods: pods(count)
        }
        let bodies = try records.map { try TapsterJSON.encoder().encode($0) }
        let decoder = TapsterJSON.decoder()

        let clock = ContinuousClock()
        var began = clock.now
        var start = tapster_heap_bytes_in_use()
        var decoded: [Workload] = []
        decoded.reserveCapacity(count)
        for body in bodies { decoded.append(try decoder.decode(Workload.self, from: body)) }
        let decodedBytes = Double(tapster_heap_bytes_in_use() - start)
        let decoding = clock.now - began

        began = clock.now
        start = tapster_heap_bytes_in_use()
        let interner = WorkloadInterner()
        var interned: [Workload] = []
        interned.reserveCapacity(count)
        for body in bodies { interned.append(interner.interned(try decoder.decode(Workload.self, from: body))) }
        let internedBytes = Double(tapster_heap_bytes_in_use() - start)
        let interning = clock.now - began
        // The stored bodies are freed only now, not inside the window (after their last use, which ends it).
        withExtendedLifetime(bodies) {}

        // Both hold what was read, or the comparison means nothing.
        guard decoded == records, interned == records else { throw BenchError("interned workloads differ from the ones read") }
        func perWorkload(_ elapsed: Duration) -> Double {
            (Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12) / Double(count)
        }
        return (decodedBytes / Double(count), internedBytes / Double(count), perWorkload(decoding), perWorkload(interning))
    }

    private static func pods(_ count: Int) -> [Workload] {
        let since = Date(timeIntervalSince1970: 1_796_000_000.123)
        let teams = ["payments", "checkout", "search", "catalog", "identity", "billing", "shipping", "reviews", "ads", "ledger"]
        return (0..<count).map { number in
            let node = number % max(1, count / 30), deployment = number / 3, team = teams[deployment % teams.count]
            let app = "\(team)-service-\(deployment)"
            let hash = String(format: "%010x", 0x7d9f8c6b5d &+ deployment * 7919)
            var spec = WorkloadSpec(
                name: "\(team)/\(app)-\(hash)-\(String(number, radix: 36))", kind: .pod,
                host: "ip-10-0-\(node / 256)-\(node % 256).eu-west-1.compute.internal", tenant: team,
                labels: ["app.kubernetes.io/name": app, "app.kubernetes.io/instance": app + "-production",
                         "app.kubernetes.io/part-of": team + "-platform", "pod-template-hash": hash, "tier": "backend"],
                netns: "/var/run/netns/cni-\(UUID().uuidString.lowercased())",
                interfaces: [WorkloadInterface(name: "eth0", mac: String(format: "0a:58:0a:%02x:%02x:%02x", (number >> 16) & 255,
                                                                        (number >> 8) & 255, number & 255),
                                               ips: [try! IPAddress(parsing: "10.\(64 + (number >> 16) & 63).\((number >> 8) & 255).\(number & 255)")])],
                reportedBy: "ip-10-0-\(node / 256)-\(node % 256).eu-west-1.compute.internal",
                platform: WorkloadPlatform(runtime: WorkloadPlatform.cri, namespace: team, uid: UUID().uuidString.lowercased(),
                                           image: "registry.example.com/\(team)/\(app):1.4.2"))
            spec.tenantSince = since
            return Workload(createdAt: since, updatedAt: since.addingTimeInterval(1.5), spec: spec)
        }
    }
}
