import Foundation
import SQLKit
import TapsterCore

/// Taps: the tap's JSON in `body` (without per-agent status, kept apart), and the columns the
/// scheduler and listings search: tenant, owner, state, filter, target, created and deadline times; the
/// workloads it matched at its start, counted after its commit; and its approval (migration 15), kept with the body.
extension SQLSession {
    static let liveStates: SQLQueryString = "('pending', 'active')"

    func insertTap(_ tap: Tap) async throws {
        try await perform("insert tap", conflict: { .alreadyExists("tap", tap.id) }) {
            try await execute("""
                INSERT INTO taps (id, tenant, owner, owner_id, state, filter_name, target_name, created_at_ms, deadline_ms, body,
                                  approval_state, requested_at_ms, approver_id, approver, approval_decided_at_ms, approval_reason)
                VALUES (\(bind: tap.id), \(nullable(tap.tenant)), \(bind: tap.owner), \(nullable(tap.ownerID)), \(bind: tap.state.rawValue),
                        \(bind: tap.filter), \(bind: tap.target), \(bind: tap.createdAt.millisecondsSince1970),
                        \(bind: tap.deadline.millisecondsSince1970), \(bind: try SQLSession.tapBody(tap)),
                        \(nullable(tap.approval?.state.rawValue)), \(nullable(tap.approval?.requestedAt.millisecondsSince1970)),
                        \(nullable(tap.approval?.approverID)), \(nullable(tap.approval?.approver)),
                        \(nullable(tap.approval?.decidedAt?.millisecondsSince1970)), \(nullable(tap.approval?.reason)))
                """)
        }
    }

    func findTap(id: String) async throws -> Tap? {
        try await perform("find tap") {
            try await row("SELECT body, owner_id, matched_workloads FROM taps WHERE id = \(bind: id)").map(SQLSession.tap)
        }
    }

    /// Newest first. With tenants: the taps of those tenants, and the owner's taps whatever their tenant.
    func listTaps(_ query: TapQuery) async throws -> [Tap] {
        try await fetchTaps(query).values()
    }

    func fetchTaps(_ query: TapQuery) async throws -> FetchedRows<Tap> {
        var conditions = visibilityConditions(tenants: query.tenants, ownerID: query.ownerID, states: query.states?.map(\.rawValue))
        if let filter = query.filter { conditions.append("filter_name = \(bind: filter)") }
        if let target = query.target { conditions.append("target_name = \(bind: target)") }
        var sql: SQLQueryString = "SELECT body, owner_id, matched_workloads FROM taps"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY created_at_ms DESC, \(dialect.byteOrder("id")) DESC"
        return try await fetch("list taps", sql, as: SQLSession.tap)
    }

    /// Compare-and-set on the state: writes only when the stored tap is still in `expected`.
    func updateTap(_ tap: Tap, ifStateIs expected: TapState) async throws -> Bool {
        try await perform("update tap") {
            try await row("""
                UPDATE taps
                SET tenant = \(nullable(tap.tenant)), owner = \(bind: tap.owner), owner_id = \(nullable(tap.ownerID)),
                    state = \(bind: tap.state.rawValue),
                    filter_name = \(bind: tap.filter), target_name = \(bind: tap.target),
                    created_at_ms = \(bind: tap.createdAt.millisecondsSince1970), deadline_ms = \(bind: tap.deadline.millisecondsSince1970),
                    body = \(bind: try SQLSession.tapBody(tap)),
                    approval_state = \(nullable(tap.approval?.state.rawValue)),
                    requested_at_ms = \(nullable(tap.approval?.requestedAt.millisecondsSince1970)),
                    approver_id = \(nullable(tap.approval?.approverID)), approver = \(nullable(tap.approval?.approver)),
                    approval_decided_at_ms = \(nullable(tap.approval?.decidedAt?.millisecondsSince1970)),
                    approval_reason = \(nullable(tap.approval?.reason))
                WHERE id = \(bind: tap.id) AND state = \(bind: expected.rawValue)
                RETURNING id
                """) != nil
        }
    }

    func dueTaps(at now: Date) async throws -> [Tap] {
        try await perform("read due taps") {
            try await rows("""
                SELECT body, owner_id, matched_workloads FROM taps
                WHERE state IN \(SQLSession.liveStates) AND deadline_ms <= \(bind: now.millisecondsSince1970)
                ORDER BY deadline_ms, \(dialect.byteOrder("id"))
                """).map(SQLSession.tap)
        }
    }

    func nextDeadline() async throws -> Date? {
        try await perform("read next deadline") {
            try await row("SELECT MIN(deadline_ms) AS deadline_ms FROM taps WHERE state IN \(SQLSession.liveStates)")?
                .optionalInteger("deadline_ms").map(Date.init(millisecondsSince1970:))
        }
    }

    func liveTapCount(ownerID: String) async throws -> Int {
        try await perform("count live taps") {
            Int(try await row("""
                SELECT COUNT(*) AS live FROM taps WHERE owner_id = \(bind: ownerID) AND state IN \(SQLSession.liveStates)
                """)?.integer("live") ?? 0)
        }
    }

    func upsertTapAgentStatus(tapID: String, _ status: TapAgentStatus) async throws {
        try await perform("write tap agent status") {
            try await execute("""
                INSERT INTO tap_agent_status (tap_id, agent, updated_at_ms, body)
                VALUES (\(bind: tapID), \(bind: status.agent), \(bind: status.updatedAt.millisecondsSince1970),
                        \(bind: try StoredJSON.encode(status)))
                ON CONFLICT (tap_id, agent) DO UPDATE SET updated_at_ms = excluded.updated_at_ms, body = excluded.body
                """)
        }
    }

    func tapAgentStatuses(tapID: String) async throws -> [TapAgentStatus] {
        try await perform("read tap agent status") {
            try await rows("""
                SELECT body FROM tap_agent_status WHERE tap_id = \(bind: tapID) ORDER BY \(dialect.byteOrder("agent"))
                """).map { try $0.body(TapAgentStatus.self) }
        }
    }

    /// A tap's stored JSON: per-agent status lives in its own table.
    /// A tap from a row of `body, owner_id`: the column is the owner's id (a tap stored before ownership
    /// was by id has it only there, filled in by migration 4).
    private static func tap(_ row: any SQLRow) throws -> Tap {
        var tap = try row.body(Tap.self)
        tap.ownerID = try row.optionalText("owner_id")
        if !(try row.decodeNil(column: "matched_workloads")) { tap.matchedWorkloads = Int(try row.integer("matched_workloads")) }
        return tap
    }

    /// Records how many workloads tap `tapID` matched at its start; only that column (see migration 11).
    func recordMatchedWorkloads(_ count: Int, tapID: String) async throws {
        try await perform("record a tap's matched workloads") {
            try await execute("UPDATE taps SET matched_workloads = \(bind: Int64(count)) WHERE id = \(bind: tapID)")
        }
    }

    private static func tapBody(_ tap: Tap) throws -> String {
        var stored = tap
        stored.agents = nil
        return try StoredJSON.encode(stored)
    }
}
