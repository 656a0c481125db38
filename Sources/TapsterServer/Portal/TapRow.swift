import Foundation
import Hummingbird
import TapsterCore

/// One host's counters of a tap, as the `tap-agents` template shows them.
struct AgentRow: Sendable {
    let agent: String
    let state: String
    let packets: String
    let bytes: String
    let drops: String
    let hasDrops: Bool
    let reason: String?
    let updated: String

    init(_ status: TapAgentStatus) {
        agent = status.agent
        state = status.state.rawValue
        packets = DisplayFormat.count(status.packets)
        bytes = DisplayFormat.bytes(status.bytes)
        drops = DisplayFormat.count(status.drops)
        hasDrops = status.drops > 0
        reason = status.reason
        updated = DisplayFormat.time(status.updatedAt)
    }
}

/// A tap as the tap tables and the tap page show it. The `data-*` attributes the templates
/// write from it let `portal.js` refresh state, time left and counters in place.
struct TapRow: Sendable {
    let id: String
    let href: String
    let filter: String
    let target: String
    let owner: String
    let tenant: String
    let description: String?
    let state: String
    let stateDetail: String?
    let live: Bool
    let ended: Bool
    let remainingSeconds: Int
    let timeLeft: String
    let created: String
    let deadline: String
    let endedAt: String?
    let duration: String
    let reactivatedFrom: String?
    let matchedWorkloads: Int
    let agents: [AgentRow]
    /// Where the stop and re-activate forms come back to.
    let returnTo: String

    init(_ tap: Tap, now: Date, returnTo: String) {
        id = tap.id
        href = "/taps/\(tap.id)"
        filter = tap.filter
        target = tap.target
        owner = tap.owner
        tenant = tap.tenant ?? "–"
        description = tap.description
        state = tap.state.rawValue
        stateDetail = Self.detail(of: tap)
        live = tap.state.isLive
        ended = tap.state.isEnded
        remainingSeconds = Int(tap.remaining(at: now).rounded(.up))
        timeLeft = DisplayFormat.timeLeft(remainingSeconds)
        created = DisplayFormat.time(tap.createdAt)
        deadline = DisplayFormat.time(tap.deadline)
        endedAt = tap.endedAt.map(DisplayFormat.time)
        duration = DisplayFormat.duration(seconds: tap.duration.seconds)
        reactivatedFrom = tap.reactivatedFrom
        matchedWorkloads = tap.matchedWorkloads
        agents = (tap.agents ?? []).sorted { $0.agent < $1.agent }.map(AgentRow.init)
        self.returnTo = returnTo
    }

    /// `by admin (alice)`, a failure's reason, or where its approval stands.
    static func detail(of tap: Tap) -> String? {
        switch tap.state {
        case .pending where tap.approval?.state == .pending: "waiting for an admin's approval"
        case .rejected: "by \(tap.approval?.approver ?? "an admin")" + (tap.approval?.reason.map { ": \($0)" } ?? "")
        case .expired where tap.approval?.state == .expired: "never approved"
        case .active where tap.approval?.state == .approved: tap.approval?.approver.map { "approved by \($0)" }
        case .stopped: tap.stoppedBy.map { by in "by \(by.rawValue)" + (tap.stoppedByUser.map { " (\($0))" } ?? "") }
        case .failed: tap.failureReason
        default: nil
        }
    }
}

/// The durations TAPAS offers, capped by what a grant allows.
enum TapDurations {
    static let offered: [Int64] = [60, 300, 600, 1_800, 3_600, 7_200, 14_400, 28_800, 43_200, 86_400, 172_800]

    /// Select options for the durations up to `cap`, and `cap` itself when TAPAS does not offer it
    /// (all of them without a cap).
    static func options(upTo cap: TapDuration?) -> [FormOption] {
        var seconds = offered.filter { cap == nil || $0 <= cap!.seconds }
        if let cap, cap.seconds < offered.last!, !seconds.contains(cap.seconds) { seconds.append(cap.seconds) }
        return seconds.map { FormOption(value: TapDuration(seconds: $0).description, label: DisplayFormat.duration(seconds: $0)) }
    }
}

/// A table of taps (the `tap-table` template): the owner's taps, or every tap in the console.
struct TapTable: Sendable {
    let taps: [TapRow]
    /// Ended taps left out of the table.
    let omitted: Int
    /// Whether stop (and re-activate) buttons are shown: not to auditors.
    let canAct: Bool
    let canReactivate: Bool
    /// `Stop`, or `Force stop` in the console.
    let stopLabel: String
}
