import Foundation
import Synchronization

/// What the simulated agents observed, recorded as it happens (one lock, no actor hop per event): when
/// each agent applied and withdrew each tap, and when its control channels were established or failed.
/// Times are wall-clock (`Date`), comparable with the moment a tap was created through the API.
public final class FleetLedger: Sendable {
    /// One agent's observations.
    struct Entry {
        /// Tap id → when a desired set first held it.
        var applied: [String: Date] = [:]
        /// Tap id → when a desired set first lacked it after holding it.
        var withdrawn: [String: Date] = [:]
        /// When each control channel received its first desired set, in order.
        var established: [Date] = []
    }

    /// A control channel that ended with an error, or could not be opened.
    public struct Failure: Sendable, Hashable {
        public var agent: String
        /// When the channel's attempt began: an attempt begun before the server was ready may fail after it.
        public var began: Date
        public var at: Date
        public var reason: String
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var failures: [Failure] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Records a desired set received by `agent` at `time`: taps it holds now, and those it no longer holds.
    func received(_ taps: Set<String>, by agent: String, at time: Date, firstOnChannel: Bool) {
        state.withLock { state in
            var entry = state.entries[agent] ?? Entry()
            if firstOnChannel { entry.established.append(time) }
            for tap in taps where entry.applied[tap] == nil { entry.applied[tap] = time }
            for tap in entry.applied.keys where !taps.contains(tap) && entry.withdrawn[tap] == nil { entry.withdrawn[tap] = time }
            state.entries[agent] = entry
        }
    }

    /// Records that `agent`'s control channel, begun at `began`, failed (or could not open) at `time` with `reason`.
    func failed(_ agent: String, began: Date, at time: Date, reason: String) {
        state.withLock { $0.failures.append(Failure(agent: agent, began: began, at: time, reason: reason)) }
    }

    /// When each agent that applied `tapID` did so, by agent name.
    public func applied(_ tapID: String) -> [String: Date] {
        state.withLock { state in state.entries.compactMapValues { $0.applied[tapID] } }
    }

    /// When each agent that withdrew `tapID` (after applying it) did so, by agent name.
    public func withdrawn(_ tapID: String) -> [String: Date] {
        state.withLock { state in state.entries.compactMapValues { $0.withdrawn[tapID] } }
    }

    /// The agents whose control channel was established at or after `time`, with when (the first such).
    public func established(since time: Date) -> [String: Date] {
        state.withLock { state in state.entries.compactMapValues { $0.established.first { $0 >= time } } }
    }

    /// The failures recorded at or after `time`.
    public func failures(since time: Date) -> [Failure] {
        state.withLock { state in state.failures.filter { $0.at >= time } }
    }

    /// The failures of attempts begun at or after `time`.
    public func failures(begunSince time: Date) -> [Failure] {
        state.withLock { state in state.failures.filter { $0.began >= time } }
    }
}
