import Foundation
import TapsterCore

extension Trigger: TableRenderable {
    public static var resourceKind: String { "trigger" }
    public static var columns: [Column<Trigger>] {
        [
            Column("NAME") { $0.name },
            Column("FILTER") { $0.spec.filter },
            Column("TARGET") { $0.spec.target },
            Column("FOR") { $0.spec.duration.description },
            Column("BEFORE") { $0.spec.before?.description ?? "" },
            Column("RATE") { $0.spec.effectiveRate.description },
            Column("FIRED") { String($0.counters.fired) },
            Column("OPENED") { String($0.counters.opened) },
            Column("SUPPRESSED") { String($0.counters.suppressed) },
            Column("UNMATCHED") { String($0.counters.unmatched) },
            Column("REFUSED") { String($0.counters.refused) },
            Column("LAST ALERT") { trigger, now in
                guard let at = trigger.counters.lastAlertAt else { return "" }
                return "\(RelativeTime.age(of: at, now: now)) ago: \(trigger.counters.lastAlert ?? "")"
            },
            .age(\.createdAt),
        ]
    }
    public var outputName: String { name }

    /// Where the engine calls, and what it opened last.
    public func sections(now: Date) -> [TableSection] {
        [TableSection(title: "Webhook", table: TextTable(headers: ["URL", "LAST OPENED"],
                                                         rows: [[webhookURL ?? webhookPath, counters.lastOpened ?? ""]]))]
    }
}

extension TriggerCreated: TableRenderable {
    public static var resourceKind: String { "trigger" }
    public static var columns: [Column<TriggerCreated>] {
        [
            Column("NAME") { $0.trigger.name },
            Column("WEBHOOK") { $0.trigger.webhookURL ?? $0.trigger.webhookPath },
            Column("SECRET") { $0.secret },
        ]
    }
    public var outputName: String { trigger.name }
}
