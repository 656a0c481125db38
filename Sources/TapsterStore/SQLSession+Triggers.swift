import Foundation
import SQLKit
import TapsterCore

/// Triggers (`triggers`): the body is the trigger as written; the counters, the rate window and the secret
/// are columns, changed in place by the webhook.
extension SQLSession {
    private static let triggerColumns: SQLQueryString = """
        body, fired, opened, suppressed, unmatched, refused, last_alert_at_ms, last_alert, last_opened
        """

    func insertTrigger(_ trigger: Trigger, secret: String) async throws {
        try await perform("insert trigger", conflict: { .alreadyExists("trigger", trigger.name) }) {
            try await execute("""
                INSERT INTO triggers (id, name, created_at_ms, updated_at_ms, secret, body)
                VALUES (\(bind: trigger.id), \(bind: trigger.name), \(bind: trigger.createdAt.millisecondsSince1970),
                        \(bind: trigger.updatedAt.millisecondsSince1970), \(bind: secret), \(bind: try StoredJSON.encode(trigger)))
                """)
        }
    }

    func findTrigger(_ reference: String) async throws -> Trigger? {
        try await perform("find trigger") {
            try await row("""
                SELECT \(Self.triggerColumns) FROM triggers WHERE id = \(bind: reference) OR name = \(bind: reference)
                ORDER BY CASE WHEN id = \(bind: reference) THEN 0 ELSE 1 END LIMIT 1
                """).map(Self.trigger)
        }
    }

    func listTriggers() async throws -> [Trigger] {
        try await perform("list triggers") {
            try await rows("SELECT \(Self.triggerColumns) FROM triggers ORDER BY \(dialect.byteOrder("name"))").map(Self.trigger)
        }
    }

    @discardableResult
    func deleteTrigger(id: String) async throws -> Bool {
        try await perform("delete trigger") {
            try await row("DELETE FROM triggers WHERE id = \(bind: id) RETURNING id") != nil
        }
    }

    func triggerSecret(id: String) async throws -> String? {
        try await perform("read trigger secret") {
            try await row("SELECT secret FROM triggers WHERE id = \(bind: id)").map { try $0.text("secret") }
        }
    }

    @discardableResult
    func setTriggerSecret(id: String, secret: String, at time: Date) async throws -> Bool {
        try await perform("rotate trigger secret") {
            try await row("""
                UPDATE triggers SET secret = \(bind: secret), updated_at_ms = \(bind: time.millisecondsSince1970)
                WHERE id = \(bind: id) RETURNING id
                """) != nil
        }
    }

    func claimTriggerOpening(id: String, at time: Date, rate: TriggerRate) async throws -> Date? {
        let now = time.millisecondsSince1970
        let windowEnded = now - rate.period.seconds * 1000
        // PostgreSQL re-reads a row another transaction updated before it applies the WHERE (READ COMMITTED),
        // SQLite writes one at a time: either way the last opening of a window goes to one caller.
        return try await perform("claim trigger opening") {
            try await row("""
                UPDATE triggers SET
                    window_start_ms = CASE WHEN window_start_ms IS NULL OR window_start_ms <= \(bind: windowEnded)
                                           THEN \(bind: now) ELSE window_start_ms END,
                    window_openings = CASE WHEN window_start_ms IS NULL OR window_start_ms <= \(bind: windowEnded)
                                           THEN 1 ELSE window_openings + 1 END
                WHERE id = \(bind: id)
                  AND (window_start_ms IS NULL OR window_start_ms <= \(bind: windowEnded) OR window_openings < \(bind: Int64(rate.count)))
                RETURNING window_start_ms
                """).map { Date(millisecondsSince1970: try $0.integer("window_start_ms")) }
        }
    }

    func releaseTriggerOpening(id: String, windowStart: Date) async throws {
        try await perform("release trigger opening") {
            try await execute("""
                UPDATE triggers SET window_openings = window_openings - 1
                WHERE id = \(bind: id) AND window_start_ms = \(bind: windowStart.millisecondsSince1970) AND window_openings > 0
                """)
        }
    }

    func recordTriggerCall(id: String, _ outcome: TriggerOutcome, at time: Date, alert: String?, opened: String?) async throws {
        let counter: SQLQueryString = switch outcome {
        case .opened: "opened = opened + 1, fired = fired + 1"
        case .suppressed: "suppressed = suppressed + 1, fired = fired + 1"
        case .unmatched: "unmatched = unmatched + 1, fired = fired + 1"
        case .refused: "refused = refused + 1"
        }
        var sql: SQLQueryString = "UPDATE triggers SET " + counter
        if outcome != .refused {
            sql += ", last_alert_at_ms = \(bind: time.millisecondsSince1970), last_alert = \(nullable(alert))"
        }
        if let opened { sql += ", last_opened = \(bind: opened)" }
        sql += " WHERE id = \(bind: id)"
        try await perform("count trigger call") { try await execute(sql) }
    }

    private static func trigger(_ row: any SQLRow) throws -> Trigger {
        var trigger = try row.body(Trigger.self)
        var counters = TriggerCounters()
        counters.fired = UInt64(clamping: try row.integer("fired"))
        counters.opened = UInt64(clamping: try row.integer("opened"))
        counters.suppressed = UInt64(clamping: try row.integer("suppressed"))
        counters.unmatched = UInt64(clamping: try row.integer("unmatched"))
        counters.refused = UInt64(clamping: try row.integer("refused"))
        counters.lastAlertAt = try row.optionalInteger("last_alert_at_ms").map(Date.init(millisecondsSince1970:))
        counters.lastAlert = try row.optionalText("last_alert")
        counters.lastOpened = try row.optionalText("last_opened")
        trigger.counters = counters
        return trigger
    }
}

/// ``SQLStore``'s trigger operations, each on a connection of its own.
extension SQLStore {
    public func insertTrigger(_ trigger: Trigger, secret: String) async throws {
        try await onConnection { try await $0.insertTrigger(trigger, secret: secret) }
    }

    public func findTrigger(_ reference: String) async throws -> Trigger? {
        try await onConnection { try await $0.findTrigger(reference) }
    }

    public func listTriggers() async throws -> [Trigger] {
        try await onConnection { try await $0.listTriggers() }
    }

    @discardableResult
    public func deleteTrigger(id: String) async throws -> Bool {
        try await onConnection { try await $0.deleteTrigger(id: id) }
    }

    public func triggerSecret(id: String) async throws -> String? {
        try await onConnection { try await $0.triggerSecret(id: id) }
    }

    @discardableResult
    public func setTriggerSecret(id: String, secret: String, at time: Date) async throws -> Bool {
        try await onConnection { try await $0.setTriggerSecret(id: id, secret: secret, at: time) }
    }

    public func claimTriggerOpening(id: String, at time: Date, rate: TriggerRate) async throws -> Date? {
        try await onConnection { try await $0.claimTriggerOpening(id: id, at: time, rate: rate) }
    }

    public func releaseTriggerOpening(id: String, windowStart: Date) async throws {
        try await onConnection { try await $0.releaseTriggerOpening(id: id, windowStart: windowStart) }
    }

    public func recordTriggerCall(id: String, _ outcome: TriggerOutcome, at time: Date, alert: String?, opened: String?) async throws {
        try await onConnection { try await $0.recordTriggerCall(id: id, outcome, at: time, alert: alert, opened: opened) }
    }
}
