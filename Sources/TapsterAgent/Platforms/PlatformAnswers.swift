import Logging
import Synchronization

/// Asks the configured platforms for their workloads, for each inventory scan and for the watcher's
/// poll between scans, and remembers what the last scan was given, so that the poll can tell a change.
///
/// A platform that cannot be asked is logged once when it starts failing (with the reason) and once when
/// it answers again, not at every poll. Its last answer stands in for up to ``staleAnswerLimit`` — a
/// runtime that restarts or answers one call late leaves its pods running, and the scanner drops any
/// whose namespace has gone — and after that its workloads are left out; the rest of the inventory is
/// reported throughout.
public final class PlatformAnswers: Sendable {
    /// The platforms, in the order configured.
    public let platforms: [any PlatformInventory]
    /// How long a failing platform's last answer stands in for it.
    public let staleAnswerLimit: Duration
    private let logger: Logger
    private struct State {
        /// Whether each platform's last answer was a failure (one log line per failure streak).
        var failing: [Bool]
        /// Each platform's last successful answer and when it was given.
        var lastAnswered: [(workloads: [PlatformWorkload], at: ContinuousClock.Instant)?]
        /// What each platform answered for the last scan (nil: it failed with no answer standing in).
        var lastScanned: [[PlatformWorkload]?]?
    }
    private let state: Mutex<State>

    /// Answers from `platforms`; failures are logged to `logger`, and a failing platform's last answer
    /// stands in for `staleAnswerLimit` (30 s unless given).
    public init(platforms: [any PlatformInventory], staleAnswerLimit: Duration = .seconds(30),
                logger: Logger = Logger(label: "tapster.agent.inventory")) {
        self.platforms = platforms
        self.staleAnswerLimit = staleAnswerLimit
        self.logger = logger
        state = Mutex(State(failing: Array(repeating: false, count: platforms.count),
                            lastAnswered: Array(repeating: nil, count: platforms.count), lastScanned: nil))
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

    /// Each platform's answer, asked in turn (a host has one or two; each call has its own deadline): when
    /// it fails, its last answer if that is recent enough, else nil.
    private func ask() async -> [[PlatformWorkload]?] {
        // Not a task group: release builds of this one trapped in the group's result loop (Swift 6.3).
        var results: [Result<[PlatformWorkload], any Error>] = []
        for platform in platforms {
            do { results.append(.success(try await platform.workloads())) } catch { results.append(.failure(error)) }
        }
        let now = ContinuousClock.now
        return results.enumerated().map { index, result -> [PlatformWorkload]? in
            switch result {
            case .success(let workloads):
                let recovered = state.withLock { state in
                    defer { state.failing[index] = false; state.lastAnswered[index] = (workloads, now) }
                    return state.failing[index]
                }
                if recovered { logger.notice("\(platforms[index].description) answers again; its workloads are reported") }
                return workloads
            case .failure(let error):
                let (started, standing) = state.withLock { state in
                    defer { state.failing[index] = true }
                    let standing = state.lastAnswered[index].flatMap { now - $0.at <= staleAnswerLimit ? $0.workloads : nil }
                    return (!state.failing[index], standing)
                }
                if started {
                    logger.warning("\(platforms[index].description) cannot be asked for its workloads (its last answer stands for \(staleAnswerLimit), the rest of the inventory is still reported; logged once until it answers): \(error)")
                }
                return standing
            }
        }
    }
}
