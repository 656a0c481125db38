import Foundation
import TapsterAPI
import TapsterCore

extension Tap: TableRenderable {
    public static var resourceKind: String { "tap" }
    public static var columns: [Column<Tap>] {
        [
            Column("ID") { $0.id },
            Column("STATE") { $0.stateSummary },
            Column("FILTER") { $0.filter },
            Column("TARGET") { $0.target },
            Column("TENANT") { $0.tenant ?? "" },
            Column("OWNER") { $0.owner },
            Column("WORKLOADS") { String($0.matchedWorkloads) },
            Column("DEADLINE") { tap, now in tap.deadlineSummary(now: now) },
            .age(\.createdAt),
        ]
    }
    public var outputName: String { id }

    /// Its approval, when it needed one, and per-agent status and counters, when agents have reported.
    public func sections(now: Date) -> [TableSection] {
        approvalSections(now: now) + agentSections(now: now)
    }

    /// Who asked, when, and who decided what and why (four-eyes approval).
    func approvalSections(now: Date) -> [TableSection] {
        guard let approval else { return [] }
        let columns: [Column<TapApproval>] = [
            Column("REQUESTED BY") { _ in owner },
            Column("REQUESTED") { approval, now in RelativeTime.age(of: approval.requestedAt, now: now) + " ago" },
            Column("APPROVAL") { $0.state.rawValue },
            Column("APPROVER") { $0.approver ?? "" },
            Column("DECIDED") { approval, now in approval.decidedAt.map { RelativeTime.age(of: $0, now: now) + " ago" } ?? "" },
            Column("REASON") { $0.reason ?? "" },
        ]
        return [TableSection(title: "Approval", table: [approval].table(columns, now: now))]
    }

    func agentSections(now: Date) -> [TableSection] {
        guard let agents, !agents.isEmpty else { return [] }
        let columns: [Column<TapAgentStatus>] = [
            Column("AGENT") { $0.agent },
            Column("STATE") { $0.state.rawValue },
            Column("PACKETS") { String($0.packets) },
            Column("BYTES") { String($0.bytes) },
            Column("DROPS") { String($0.drops) },
            Column("DATAPATH") { $0.datapath?.rawValue ?? "" },
            Column("UPDATED") { status, now in RelativeTime.age(of: status.updatedAt, now: now) + " ago" },
            Column("REASON") { status in
                [status.reason, status.datapathReason.map { "userspace: \($0)" },
                 status.flowsDropped.map { "\($0) flows dropped (table full)" }, status.httpUnparsed.map { "\($0) HTTP messages unparsed" }]
                    .compactMap { $0 }.joined(separator: "; ")
            },
        ]
        return [TableSection(title: "Agents", table: agents.table(columns, now: now))]
    }

    /// `active`, `stopped by admin`, `failed: <reason>`, `pending approval` (`pending approval (stored capture)` for a
    /// stored capture waiting: its id is the capture's), `rejected by <admin>: <reason>`.
    var stateSummary: String {
        switch state {
        case .pending where approval?.state == .pending: capture?.mode == .store ? "pending approval (stored capture)" : "pending approval"
        case .rejected: "rejected by \(approval?.approver ?? "an admin")" + (approval?.reason.map { ": \($0)" } ?? "")
        case .expired where approval?.state == .expired: "expired (never approved)"
        case .active where approval?.state == .approved: "active (approved by \(approval?.approver ?? "an admin"))"
        case .stopped: stoppedBy.map { "stopped by \($0.rawValue)" } ?? "stopped"
        case .failed: failureReason.map { "failed: \($0)" } ?? "failed"
        default: state.rawValue
        }
    }

    /// `in 14m` while live; `ended 3m ago` afterwards.
    func deadlineSummary(now: Date) -> String {
        if state.isLive { return RelativeTime.until(deadline, now: now) }
        return "ended \(RelativeTime.age(of: endedAt ?? deadline, now: now)) ago"
    }
}

extension TapView: TableRenderable {
    public static var resourceKind: String { Tap.resourceKind }
    public static var columns: [Column<TapView>] { Tap.columns.map { $0.pulledBack(\.tap) } }
    public var outputName: String { tap.id }
    public func sections(now: Date) -> [TableSection] { tap.sections(now: now) }
}
