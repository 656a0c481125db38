import Foundation
import TapsterCore

extension Capture: TableRenderable {
    public static var resourceKind: String { "capture" }
    public static var columns: [Column<Capture>] {
        [
            Column("ID") { $0.id },
            Column("STATE") { $0.stateSummary },
            Column("MODE") { $0.mode.rawValue },
            Column("FILTER") { $0.filter },
            Column("TARGET") { $0.target },
            Column("OWNER") { $0.owner },
            Column("PACKETS") { String($0.packets) },
            Column("DROPS") { String($0.drops) },
            Column("SIZE") { CaptureFormat.bytes($0.size) },
            Column("HOSTS") { String($0.hosts.count) },
            Column("EXPIRES") { capture, now in capture.expiresAt.map { RelativeTime.until($0, now: now) } ?? "" },
            .age(\.createdAt),
        ]
    }
    public var outputName: String { id }
    /// What it holds less than its flags asked (``Capture/warnings``), also when it started on an admin's approval.
    public var keptWarnings: [String] { warnings ?? [] }

    /// One row per interface: its packets and drops by cause; and the readers an admin entitled.
    public func sections(now: Date) -> [TableSection] {
        let columns: [Column<CaptureInterfaceStatistics>] = [
            Column("INTERFACE") { $0.name },
            Column("RECEIVED") { String($0.received) },
            Column("PACKETS") { String($0.packets) },
            Column("KERNEL DROPS") { String($0.kernelDrops) },
            Column("AGENT DROPS") { String($0.agentDrops) },
            Column("SERVER DROPS") { String($0.serverDrops) },
        ]
        var sections = [TableSection(title: "Interfaces", table: interfaces.table(columns, now: now))]
        if let readers, !readers.isEmpty {
            sections.append(TableSection(title: "Readers (entitled by an admin)", table: readers.table(CaptureReaderEntitlement.columns, now: now)))
        }
        return sections
    }

    /// `pending approval`, `live`, `complete`, `failed: <reason>`, `deleted`.
    var stateSummary: String {
        if state == .pending { return "pending approval" }
        if state == .failed, let failureReason { return "failed: \(failureReason)" }
        return state.rawValue
    }
}

extension CaptureView: TableRenderable {
    public static var resourceKind: String { Capture.resourceKind }
    public static var columns: [Column<CaptureView>] { Capture.columns.map { $0.pulledBack(\.capture) } }
    public var outputName: String { capture.id }
    public func sections(now: Date) -> [TableSection] { capture.sections(now: now) }
}

/// How the CLI writes a capture's numbers.
public enum CaptureFormat {
    /// `532B`, `12.4KiB`, `3.1MiB`, `2.0GiB`.
    public static func bytes(_ count: Int64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        guard count >= 1024 else { return "\(count)B" }
        var value = Double(count) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: "%.1f%@", value, units[unit])
    }

    /// `1234 packets from 2 hosts (3 interfaces), 5 dropped (kernel 0, agent 1, server 4)`.
    public static func counters(_ capture: Capture) -> String {
        let hosts = capture.hosts.count, interfaces = capture.interfaces.count
        var text = "\(capture.packets) packet\(capture.packets == 1 ? "" : "s") from \(hosts) host\(hosts == 1 ? "" : "s")"
        text += " (\(interfaces) interface\(interfaces == 1 ? "" : "s")), \(capture.drops) dropped"
        if capture.drops > 0 {
            let sum = { (part: KeyPath<CaptureInterfaceStatistics, UInt64>) in capture.interfaces.reduce(UInt64(0)) { $0 &+ $1[keyPath: part] } }
            text += " (kernel \(sum(\.kernelDrops)), agent \(sum(\.agentDrops)), server \(sum(\.serverDrops)))"
        }
        for absence in capture.absences ?? [] { text += ", " + Self.absence(absence) }
        if let late = capture.outOfOrderPackets, late > 0 { text += ", \(late) out of order" }
        return text
    }

    /// `host node-1 absent for 3.2s from 08:41:02Z`, or `host node-1 absent since 08:41:02Z` while it lasts:
    /// what it would have captured then is missing, and no drop counter says so.
    public static func absence(_ absence: CaptureAbsence) -> String {
        let from = absence.from.formatted(Date.ISO8601FormatStyle().time(includingFractionalSeconds: false))
        guard let until = absence.until else { return "host \(absence.host) absent since \(from)Z" }
        return "host \(absence.host) absent for " + String(format: "%.1fs", until.timeIntervalSince(absence.from)) + " from \(from)Z"
    }
}
