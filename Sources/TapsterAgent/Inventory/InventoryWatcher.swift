import Logging

/// Rescans the host every `interval` — or at once when entering a process namespace found it changed
/// (``RescanRequests``) — and yields the inventory whenever it differs from the last one yielded (the
/// first scan always), so a change is reported within one interval plus a scan.
///
/// A failed scan is logged and skipped; the next one is tried an interval later.
public struct InventoryWatcher: Sendable {
    /// What scans.
    public let scanner: InventoryScanner
    /// The time between the end of one scan and the start of the next.
    public let interval: Duration
    let logger: Logger

    /// A watcher scanning with `scanner` every `interval` (one second unless given).
    public init(scanner: InventoryScanner, interval: Duration = .seconds(1),
                logger: Logger = Logger(label: "tapster.agent.inventory")) {
        self.scanner = scanner
        self.interval = interval
        self.logger = logger
    }

    /// The inventories, first the current one, then each change, until the consumer stops iterating
    /// (or its task is cancelled). Only the newest unread inventory is kept.
    public func updates() -> AsyncStream<HostInventory> {
        let (stream, continuation) = AsyncStream.makeStream(of: HostInventory.self, bufferingPolicy: .bufferingNewest(1))
        let watcher = self
        let task = Task {
            var last: HostInventory?
            while !Task.isCancelled {
                do {
                    let inventory = try await watcher.scanner.scan()
                    if inventory != last {
                        last = inventory
                        continuation.yield(inventory)
                    }
                } catch {
                    watcher.logger.warning("inventory scan failed: \(error)")
                }
                await watcher.pause()
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Waits `interval`, or less when a rescan is requested (a process namespace found changed).
    private func pause() async {
        let interval = interval
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: interval) }
            group.addTask { await RescanRequests.shared.next() }
            await group.next()
            group.cancelAll()
        }
    }
}
