import TapsterSystemTestSupport
import Foundation
import Synchronization
import Testing
@testable import TapsterAgent

/// Entering a process's namespace by its `/proc/<pid>/ns/net` path only when that path still opens the
/// namespace the last inventory scan recorded for the workload: a pid that went to another process must
/// not lead the agent into that process's namespace. Real processes in real namespaces. These tests use the
/// agent's one record and run one at a time; other suites' scanners keep records of their own.
@Suite("Process namespace entry", .serialized)
struct ProcessNamespaceEntryTests {
    @Test("a process's path that opens another namespace than the one recorded for the workload is refused")
    func otherNamespaceRefused() async throws {
        let directory = try ScratchDirectory(label: "netns-swap")
        defer { directory.remove() }
        let (first, firstPID) = try await Sleepers.unshared(directory, name: "first")
        defer { first.stop(grace: .seconds(1)) }
        let (second, secondPID) = try await Sleepers.unshared(directory, name: "second")
        defer { second.stop(grace: .seconds(1)) }
        let recorded = ProcessNamespaceRecord.Recorded(workload: "pid-\(firstPID)-sleep",
                                                       identity: try #require(NamespaceIdentity(path: "/proc/\(firstPID)/ns/net")))

        let error = await #expect(throws: NamespaceError.self) {
            try await NetworkNamespace.path("/proc/\(secondPID)/ns/net").run(expecting: recorded) { true }
        }

        #expect(error?.operation == .verify)
        #expect(error?.description == "the process of workload pid-\(firstPID)-sleep is gone; its namespace was not entered")
    }

    @Test("a process's path that opens the namespace recorded for the workload is entered")
    func recordedNamespaceEntered() async throws {
        let directory = try ScratchDirectory(label: "netns-same")
        defer { directory.remove() }
        let (process, pid) = try await Sleepers.unshared(directory, name: "sleeper")
        defer { process.stop(grace: .seconds(1)) }
        let path = "/proc/\(pid)/ns/net"
        let recorded = ProcessNamespaceRecord.Recorded(workload: "pid-\(pid)-sleep", identity: try #require(NamespaceIdentity(path: path)))

        let inside = try await NetworkNamespace.path(path).run(expecting: recorded) { NamespaceIdentity(path: "/proc/thread-self/ns/net") }

        #expect(inside == recorded.identity)
    }

    @Test("a process namespace the last scan reported is entered by its path")
    func scannedNamespaceEntered() async throws {
        let directory = try ScratchDirectory(label: "netns-scanned")
        defer { directory.remove() }
        let (process, pid) = try await Sleepers.unshared(directory, name: "sleeper")
        defer { process.stop(grace: .seconds(1)) }
        let path = "/proc/\(pid)/ns/net"
        let scanner = InventoryScanner(configuration: try AgentConfiguration(yaml: "namespaces: []\nhost_interfaces: false\n", file: "test.yaml"))
        // Scanned and entered again until both happen with no other test's scan between them: the record of
        // the last scan is one per process, and tests running side by side scan too.
        let inside = try await eventually("pid-\(pid)-sleep scanned, then entered") { () -> NamespaceIdentity? in
            guard try await scanner.scan().workload(named: "pid-\(pid)-sleep") != nil else { return nil }
            return try? await NetworkNamespace.path(path).run { NamespaceIdentity(path: "/proc/thread-self/ns/net") }
        }

        #expect(inside == NamespaceIdentity(path: path))
    }

    @Test("a process's path that no scan reported as a process namespace is refused")
    func unscannedPathRefused() async throws {
        // A process in a named namespace: scans report the named namespace, never its processes' paths.
        try await Sleepers.withOneInNamed { _, _, pid in
            let error = await #expect(throws: NamespaceError.self) {
                try await NetworkNamespace.path("/proc/\(pid)/ns/net").run { true }
            }

            #expect(error?.description
                == "no process namespace was found at /proc/\(pid)/ns/net in the last inventory scan; it was not entered")
        }
    }

    @Test("a refused process namespace makes the inventory watcher rescan at once, not at its next interval")
    func refusalTriggersRescan() async throws {
        try await Sleepers.withOneInNamed { _, directory, unscannedPID in
            let configuration = try AgentConfiguration(yaml: "namespaces: []\nhost_interfaces: false\n", file: "test.yaml")
            let watcher = InventoryWatcher(scanner: InventoryScanner(configuration: configuration), interval: .seconds(3600))
            let latest = Mutex<HostInventory?>(nil)
            let consumer = Task {
                for await inventory in watcher.updates() { latest.withLock { $0 = inventory } }
            }
            defer { consumer.cancel() }
            _ = try await eventually(timeout: .seconds(45), "the first inventory") { latest.withLock { $0 } }
            let (late, latePID) = try await Sleepers.unshared(directory, name: "late")
            defer { late.stop(grace: .seconds(1)) }

            await #expect(throws: NamespaceError.self) {
                try await NetworkNamespace.path("/proc/\(unscannedPID)/ns/net").run { true }
            }

            _ = try await eventually(timeout: .seconds(30), "pid-\(latePID)-sleep in the watcher's next inventory") {
                latest.withLock { $0?.workload(named: "pid-\(latePID)-sleep") }
            }
        }
    }

    @Test("the start time is field 22 of /proc/<pid>/stat, counted after a command holding spaces and parentheses")
    func startTimeField() {
        let stat = "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 2383872 130 18446744073709551615\n"

        #expect(ProcessNamespaces.startTime(stat: stat) == 987_654)
    }
}
