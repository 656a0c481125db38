import Foundation
import TapsterCore

extension AuditEvent: TableRenderable {
    public static var resourceKind: String { "audit" }
    public static var plural: String { "audit events" }
    public static var columns: [Column<AuditEvent>] {
        [
            Column("SEQ") { String($0.sequence) },
            Column("AGE") { event, now in RelativeTime.age(of: event.time, now: now) },
            Column("ACTOR") { $0.actor },
            Column("ACTION") { $0.action },
            Column("OBJECT") { event in "\(event.objectType)/\(event.objectName ?? event.objectId ?? "-")" },
            Column("TENANT") { $0.tenant ?? "" },
            Column("DETAILS") { event in event.details.keys.sorted().map { "\($0)=\(event.details[$0]!)" }.joined(separator: " ") },
        ]
    }
    public var outputName: String { String(sequence) }
}

extension AuditVerification: TableRenderable {
    public static var resourceKind: String { "audit-chain" }
    public static var columns: [Column<AuditVerification>] {
        [
            Column("VALID") { $0.valid ? "yes" : "NO" },
            Column("CHECKED") { String($0.checked) },
            Column("FIRST BROKEN") { $0.firstBrokenSequence.map(String.init) ?? "" },
            Column("REASON") { $0.reason ?? "" },
        ]
    }
    public var outputName: String { valid ? "valid" : "broken" }
}
