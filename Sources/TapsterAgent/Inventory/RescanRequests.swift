#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// Requests for an inventory scan now rather than at the watcher's next interval: entering a process
/// namespace found the pid's namespace changed since the last scan, so the inventory the server holds is
/// stale (the workload is gone, or the pid is another process's) and should be corrected at once.
final class RescanRequests: Sendable {
    /// The agent's requests, which ``InventoryWatcher`` waits on between scans.
    static let shared = RescanRequests()

    private struct State {
        /// The waiters, by id, resumed together by the next request.
        var waiting: [UUID: CheckedContinuation<Void, Never>] = [:]
        /// Waiters cancelled before they were registered, which must not wait at all.
        var cancelled: Set<UUID> = []
    }

    private let state = Mutex(State())

    /// Asks every waiting watcher to scan now.
    func request() {
        let waiters = state.withLock { state in
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns at the next ``request()``, or when the calling task is cancelled.
    func next() async {
        let id = UUID()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let cancelledAlready = state.withLock { state in
                    guard state.cancelled.remove(id) == nil else { return true }
                    state.waiting[id] = continuation
                    return false
                }
                if cancelledAlready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                guard let waiter = state.waiting.removeValue(forKey: id) else {
                    state.cancelled.insert(id)
                    return nil as CheckedContinuation<Void, Never>?
                }
                return waiter
            }
            waiter?.resume()
        }
    }
}
