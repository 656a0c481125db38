import TapsterSystemTestSupport
import Foundation
import Synchronization
import Testing
@testable import TapsterAgent
import TapsterCore

/// The watcher reports the inventory at once, then each change by rescanning.
///
/// How quickly it notices is measured by `Benchmarks/`, not asserted here; the deadlines only bound a failure.
@Suite("Inventory watcher")
struct InventoryWatcherTests {
    /// What a watcher yielded, and when.
    final class Recorder: Sendable {
        let entries = Mutex<[(inventory: HostInventory, at: ContinuousClock.Instant)]>([])

        func record(_ inventory: HostInventory) {
            entries.withLock { $0.append((inventory, .now)) }
        }

        /// The first inventory recorded at or after `instant` satisfying `condition`, and when it came.
        func first(after instant: ContinuousClock.Instant, where condition: (HostInventory) -> Bool)
            -> (inventory: HostInventory, at: ContinuousClock.Instant)? {
            entries.withLock { $0.first { $0.at >= instant && condition($0.inventory) } }
        }

        var count: Int { entries.withLock { $0.count } }
    }

    @Test("a namespace added after the watcher started is reported by a later scan, and its removal too")
    func reportsAddedAndRemovedNamespace() async throws {
        let prefix = TestNamePrefix.next()
        let late = "\(prefix)-late"
        defer { _ = try? ProcessRunner.run(["ip", "netns", "del", late], allowFailure: true) }
        let configuration = try AgentConfiguration(yaml: """
            namespaces: ["\(prefix)-*"]
            host_interfaces: false
            process_namespaces: false
            """, file: "test.yaml")
        let watcher = InventoryWatcher(scanner: InventoryScanner(configuration: configuration, recordingInto: ProcessNamespaceRecord()), interval: .seconds(1))
        let recorder = Recorder()
        let started = ContinuousClock.now
        let consumer = Task {
            for await inventory in watcher.updates() { recorder.record(inventory) }
        }
        defer { consumer.cancel() }
        try await eventually(timeout: .seconds(45), "the first inventory") { recorder.count > 0 ? true : nil }
        #expect(recorder.first(after: started) { _ in true }?.inventory == HostInventory(workloads: []))

        try ProcessRunner.run(["ip", "netns", "add", late])
        let added = ContinuousClock.now
        let withLate = try await eventually(timeout: .seconds(30), "\(late) in an inventory") {
            recorder.first(after: added) { $0.workload(named: late) != nil }
        }
        #expect(withLate.inventory.workloads == [DiscoveredWorkload(name: late, kind: .netns, netns: late)])

        try ProcessRunner.run(["ip", "netns", "del", late])
        let removed = ContinuousClock.now
        let withoutLate = try await eventually(timeout: .seconds(30), "an inventory without \(late)") {
            recorder.first(after: removed) { $0.workload(named: late) == nil }
        }
        #expect(withoutLate.inventory.workloads == [])
    }
}
