import Foundation
@testable import TapsterServer
import TapsterSystemTestSupport
import Testing

/// `/metrics`' series of the replica itself: who it is, its change feed, and its process's memory.
@Suite struct ReplicaMetricsTests {
    @Test("a standalone replica names itself, says its feed needs no listening, and counts no notifications")
    func standaloneReplicaFamilies() {
        let lines = Set(ReplicaState.standalone(name: "r1").exposition().split(separator: "\n").map(String.init))
        #expect(lines.isSuperset(of: [
            "tapster_replica_info{replica=\"r1\"} 1",
            "tapster_change_notifications_sent_total 0",
            "tapster_change_notifications_received_total 0",
            "tapster_change_feed_reconnects_total 0",
            "tapster_change_feed_listening 1",
        ]), "\(lines.sorted())")
    }

    @Test("the process's resident memory is exposed under Prometheus' standard name, as the kernel reports it")
    func residentMemoryIsTheProcesss() throws {
        let exposition = ReplicaState.standalone().exposition()
        #expect(exposition.contains("# TYPE process_resident_memory_bytes gauge\n"))
        let sample = try #require(exposition.split(separator: "\n").first { $0.hasPrefix("process_resident_memory_bytes ") })
        let exposed = try #require(Int(sample.dropFirst("process_resident_memory_bytes ".count)))
        // The kernel's other account of the same figure; other tests allocate meanwhile, hence the margin.
        let vmRSS = try ResidentMemory.bytes(of: getpid())
        #expect(abs(exposed - vmRSS) <= 64 << 20, "exposed \(exposed) B, VmRSS \(vmRSS) B")
        #expect(exposed > 1 << 20)
    }
}
