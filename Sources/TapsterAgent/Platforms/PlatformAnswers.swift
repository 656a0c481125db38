import Logging
import Synchronization

/// Asks the configured platforms for their workloads, for each inventory scan and for the watcher's
/// poll between scans, and remembers what the last scan was given, so that the poll can tell a change.
///
/// A platform that cannot be asked is logged once when it starts failing (with the reason) and once when
/// it answers again, not at every poll; its workloads are left out meanwhile and the rest of the inventory
/// is still reported.
public final class PlatformAnswers: Sendable {
    /// The platforms, in the order configured.
    public let platforms: [any PlatformInventory]
    private let logger: Logger
    private struct State {
        /// Whether each platform's last answer was a failure (one log line per failure streak).
        var failing: [Bool]
        /// What each platform answered for the last scan (nil: it failed).
        var lastScanned: [[PlatformWorkload]?]?
    }
    private let state: Mutex<State>

    /// Answers from `platforms`; failures are logged to `logger`.
    public init(platforms: [any PlatformInventory], logger: Logger = Logger(label: "tapster.agent.inventory")) {
        self.platforms = platforms
        self.logger = logger
        state = Mutex(State(failing: Array(repeating: false, count: platforms.count), lastScanned: nil))
    }

    /// The workloads of every platform that answers now, for a scan (which the next ``waitForChange(every:)``
    /// compares against).
    public func forScan() async -> [PlatformWorkload] {
        let answers = await ask()
        state.withLock { $0.lastScanned = answers }
        return answers.flatMap { $0 ?? [] }
    }

    /// Returns when a platform's answer differs from the one the last scan used, asking every `interval`;
    /// never when there are no platforms (until cancelled).
    public func waitForChange(every interval: Duration) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            guard !Task.isCancelled else { return }
            guard !platforms.isEmpty else { continue }
            let answers = await ask()
            if state.withLock({ $0.lastScanned }) != answers { return }
        }
    }

    /// Each platform's answer (nil when it failed), asked concurrently.
    private func ask() async -> [[PlatformWorkload]?] {
        guard !platforms.isEmpty else { return [] }
        let results = await withTaskGroup(of: (Int, Result<[PlatformWorkload], any Error>).self) { group in
            for (index, platform) in platforms.enumerated() {
                group.addTask {
                    do { return (index, .success(try await platform.workloads())) } catch { return (index, .failure(error)) }
                }
            }
            var results = [Result<[PlatformWorkload], any Error>?](repeating: nil, count: platforms.count)
            for await (index, result) in group { results[index] = result }
            return results
        }
        return results.enumerated().map { index, result -> [PlatformWorkload]? in
            switch result {
            case .success(let workloads)?:
                if state.withLock({ state in defer { state.failing[index] = false }; return state.failing[index] }) {
                    logger.notice("\(platforms[index].description) answers again; its workloads are reported")
                }
                return workloads
            case .failure(let error)?:
                if state.withLock({ state in defer { state.failing[index] = true }; return !state.failing[index] }) {
                    logger.warning("\(platforms[index].description) cannot be asked for its workloads (the rest of the inventory is still reported; logged once until it answers): \(error)")
                }
                return nil
            case nil:
                return nil
            }
        }
    }
}
