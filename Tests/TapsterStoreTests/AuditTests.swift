import Foundation
import TapsterCore
import TapsterStore
import TapsterTestSupport
import Testing

/// The hash-chained audit log: appending, reading back, querying.
@Suite struct AuditTests {
    /// Six events at seconds 0…5 of ``Fixtures/start``.
    static func seed(_ store: SQLStore) async throws -> [AuditEvent] {
        let entries = [
            Fixtures.entry("tap.created", actor: "alice", objectId: "t1", tenant: "blue"),
            Fixtures.entry("tap.stopped", actor: "alice", objectId: "t1", tenant: "blue", details: ["stopped_by": "user"]),
            Fixtures.entry("target.created", actor: "admin", objectType: "target", objectId: "g1", tenant: nil),
            Fixtures.entry("tap.created", actor: "bob", objectId: "t2", tenant: "red"),
            Fixtures.entry("tapster.noise", actor: "system", objectType: "server", tenant: nil),
            Fixtures.entry("tap.expired", actor: "system", objectId: "t2", tenant: "red"),
        ]
        var events: [AuditEvent] = []
        for (second, entry) in entries.enumerated() {
            events.append(try await store.appendAudit(entry, at: Fixtures.at(second)))
        }
        return events
    }

    @Test(arguments: StoreKind.available)
    func appendNumbersEventsFromOneAndLinksEachToThePrevious(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let events = try await AuditTests.seed(db.store)
            #expect(events.map(\.sequence) == [1, 2, 3, 4, 5, 6])
            #expect(events[0].previousHash == AuditChain.genesisHash)
            #expect(events.dropFirst().map(\.previousHash) == events.dropLast().map(\.hash))
            #expect(events.allSatisfy { AuditChain.hash(of: $0) == $0.hash })
        }
    }

    @Test(arguments: StoreKind.available)
    func eventsReadBackEqualTheAppendedOnesInSequenceOrder(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let events = try await AuditTests.seed(db.store)
            #expect(try await db.store.auditEvents(AuditQuery()) == events)
        }
    }

    @Test(arguments: StoreKind.available)
    func detailsAndMillisecondsRoundTripExactly(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let details = ["stopped_by": "admin", "camelCase": "x", "with space": "ü/ñ \"quoted\"", "empty": ""]
            let time = Date(timeIntervalSince1970: 1_767_225_600.987)
            let appended = try await db.store.appendAudit(Fixtures.entry("tap.stopped", details: details), at: time)
            let read = try await db.store.auditEvents(AuditQuery())
            #expect(read == [appended])
            #expect(read.first?.details == details)
            #expect(read.first?.time == Date(timeIntervalSince1970: 1_767_225_600.987))
            #expect(try await db.store.verifyAudit().valid == true)
        }
    }

    @Test(arguments: StoreKind.available)
    func sinceAndUntilAreInclusive(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            _ = try await AuditTests.seed(db.store)
            let events = try await db.store.auditEvents(AuditQuery(since: Fixtures.at(1), until: Fixtures.at(3)))
            #expect(events.map(\.sequence) == [2, 3, 4])
        }
    }

    @Test(arguments: StoreKind.available)
    func actorMatchesExactly(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            _ = try await AuditTests.seed(db.store)
            #expect(try await db.store.auditEvents(AuditQuery(actor: "system")).map(\.sequence) == [5, 6])
            #expect(try await db.store.auditEvents(AuditQuery(actor: "ali")).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func actionMatchesExactly(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            _ = try await AuditTests.seed(db.store)
            #expect(try await db.store.auditEvents(AuditQuery(action: "tap.created")).map(\.sequence) == [1, 4])
            #expect(try await db.store.auditEvents(AuditQuery(action: "tap")).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func actionEndingInADotMatchesAsAPrefix(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            _ = try await AuditTests.seed(db.store)
            #expect(try await db.store.auditEvents(AuditQuery(action: "tap.")).map(\.sequence) == [1, 2, 4, 6])
        }
    }

    @Test(arguments: StoreKind.available)
    func objectIdAndObjectTypeMatchExactly(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            _ = try await AuditTests.seed(db.store)
            #expect(try await db.store.auditEvents(AuditQuery(objectId: "t2")).map(\.sequence) == [4, 6])
            #expect(try await db.store.auditEvents(AuditQuery(objectType: "target")).map(\.sequence) == [3])
        }
    }

    @Test(arguments: StoreKind.available)
    func tenantsNarrowToThoseTenantsEvents(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            _ = try await AuditTests.seed(db.store)
            #expect(try await db.store.auditEvents(AuditQuery(tenants: ["red"])).map(\.sequence) == [4, 6])
            #expect(try await db.store.auditEvents(AuditQuery(tenants: ["blue", "red"])).map(\.sequence) == [1, 2, 4, 6])
            #expect(try await db.store.auditEvents(AuditQuery(tenants: [])).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func afterSequenceAndLimitPageThroughTheLog(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            _ = try await AuditTests.seed(db.store)
            #expect(try await db.store.auditEvents(AuditQuery(limit: 2)).map(\.sequence) == [1, 2])
            #expect(try await db.store.auditEvents(AuditQuery(afterSequence: 2, limit: 2)).map(\.sequence) == [3, 4])
            #expect(try await db.store.auditEvents(AuditQuery(afterSequence: 6)).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func filtersCombine(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            _ = try await AuditTests.seed(db.store)
            let query = AuditQuery(since: Fixtures.at(1), actor: "system", action: "tap.", tenants: ["red"])
            #expect(try await db.store.auditEvents(query).map(\.sequence) == [6])
        }
    }

    @Test(arguments: StoreKind.available)
    func newestFirstWithBeforePagesBackThroughTheLog(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            _ = try await AuditTests.seed(db.store)
            #expect(try await db.store.auditEvents(AuditQuery(newestFirst: true, limit: 2)).map(\.sequence) == [6, 5])
            #expect(try await db.store.auditEvents(AuditQuery(beforeSequence: 5, newestFirst: true, limit: 2)).map(\.sequence) == [4, 3])
            #expect(try await db.store.auditEvents(AuditQuery(beforeSequence: 1, newestFirst: true)).isEmpty)
        }
    }
}
