import Foundation
import TapsterCore
import TapsterStore
import TapsterTestSupport
import Testing

/// `Store.transaction`: all or nothing, on one connection.
@Suite struct TransactionTests {
    struct Boom: Error, Equatable {}

    @Test(arguments: StoreKind.available)
    func throwingRollsBackEverythingAndRethrowsTheError(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            await #expect(throws: Boom()) {
                try await db.store.transaction { session in
                    try await session.insert(Fixtures.target("tool"), into: .targets)
                    try await session.insertUser(Fixtures.user("alice"), passwordHash: nil)
                    try await session.insertTap(Fixtures.tap())
                    try await session.setSetting("key", "value")
                    _ = try await session.appendAudit(Fixtures.entry("tap.created"), at: Fixtures.start)
                    throw Boom()
                }
            }
            let targets = try await db.store.list(.targets, tenants: nil)
            #expect(targets.isEmpty)
            #expect(try await db.store.listUsers().isEmpty)
            #expect(try await db.store.listTaps(TapQuery()).isEmpty)
            #expect(try await db.store.setting("key") == nil)
            #expect(try await db.store.auditEvents(AuditQuery()).isEmpty)
            #expect(try await db.integer("SELECT sequence FROM audit_head WHERE id = 1") == 0)
        }
    }

    @Test(arguments: StoreKind.available)
    func returningCommitsEverything(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let event = try await db.store.transaction { session in
                try await session.insert(Fixtures.target("tool"), into: .targets)
                return try await session.appendAudit(Fixtures.entry("target.created", objectType: "target"), at: Fixtures.start)
            }
            #expect(try await db.store.list(.targets, tenants: nil).map(\.spec.name) == ["tool"])
            #expect(try await db.store.auditEvents(AuditQuery()) == [event])
        }
    }

    @Test(arguments: StoreKind.available)
    func alreadyExistsInsideATransactionRollsItBack(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            try await db.store.insert(Fixtures.target("tool"), into: .targets)
            let error = await #expect(throws: TapsterError.self) {
                try await db.store.transaction { session in
                    try await session.insert(Fixtures.filter("web"), into: .filters)
                    try await session.insert(Fixtures.target("tool"), into: .targets)
                }
            }
            #expect(error == TapsterError(.alreadyExists, "target \"tool\" already exists"))
            #expect(try await db.store.list(.filters, tenants: nil).isEmpty)
        }
    }

    @Test func sqliteOperationsWaitForAnOpenTransactionToEnd() async throws {
        try await TestDatabase.with(.sqlite) { db in
            let store = db.store
            let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
            let transaction = Task {
                try await store.transaction { session in
                    try await session.insert(Fixtures.target("tool"), into: .targets)
                    startedContinuation.yield()
                    try await Task.sleep(for: .milliseconds(300))
                    try await session.insert(Fixtures.target("tool-2"), into: .targets)
                }
            }
            for await _ in started { break }
            // The store's one connection is the transaction's until it commits: this waits, then sees both.
            #expect(try await store.list(.targets, tenants: nil).map(\.spec.name) == ["tool", "tool-2"])
            try await transaction.value
        }
    }
}
