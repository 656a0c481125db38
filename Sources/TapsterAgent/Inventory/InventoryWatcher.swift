import Logging

/// Rescans the host every `interval` — or at once when entering a process namespace found it changed
/// (``RescanRequests``), or when a container runtime's answer changed (asked every `platformPollInterval`,
/// when that is shorter than `interval`, so that pods appear and disappear within about a second) — and yields the inventory whenever it differs from the last one yielded (the
/// first scan always), so a change is reported within one interval plus a scan.
///
/// A failed scan is logged and skipped; the next one is tried an interval later.
public struct InventoryWatcher: Sendable {
    /// What scans.
    public let scanner: InventoryScanner
    /// The time between the end of one scan and the start of the next.
    public let interval: Duration
    /// How often the scanner's container runtimes are asked between scans (a cheap call, unlike a scan).
    public let platformPollInterval: Duration
    let logger: Logger

    /// A watcher scanning with `scanner` every `interval` (one second unless given), and asking its
    /// container runtimes every `platformPollInterval` in between.
    public init(scanner: InventoryScanner, interval: Duration = .seconds(1), platformPollInterval: Duration = .seconds(1),
                logger: Logger = Logger(label: "tapster.agent.inventory")) {
        self.scanner = scanner
        self.interval = interval
        self.platformPollInterval = platformPollInterval
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

    /// Waits `interval`, or less when a rescan is requested (a process namespace found changed) or a
    /// container runtime's answer changed.
    private func pause() async {
        let (interval, pollInterval, platforms) = (interval, platformPollInterval, scanner.platforms)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: interval) }
            group.addTask { await RescanRequests.shared.next() }
            if !platforms.platforms.isEmpty, pollInterval < interval {
                group.addTask { await platforms.waitForChange(every: pollInterval) }
            }
            await group.next()
            group.cancelAll()
        }
    }
}
