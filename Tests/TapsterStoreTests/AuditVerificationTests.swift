import Foundation
import TapsterCore
import TapsterStore
import TapsterTestSupport
import Testing

/// Verifying the chain, and detecting tampering done behind the store's back.
@Suite struct AuditVerificationTests {
    @Test(arguments: StoreKind.available)
    func emptyLogIsValid(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let verification = try await db.store.verifyAudit()
            #expect(verification == AuditVerification(valid: true, checked: 0, firstBrokenSequence: nil, reason: nil))
        }
    }

    @Test(arguments: StoreKind.available)
    func untouchedLogIsValid(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            _ = try await AuditTests.seed(db.store)
            #expect(try await db.store.verifyAudit() == AuditVerification(valid: true, checked: 6, firstBrokenSequence: nil, reason: nil))
        }
    }

    @Test(arguments: StoreKind.available)
    func editedActorIsDetectedAtThatEvent(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            _ = try await AuditTests.seed(db.store)
            try await db.execute("UPDATE audit_events SET actor = 'mallory' WHERE sequence = 2")
            #expect(try await db.store.verifyAudit() == AuditVerification(
                valid: false, checked: 1, firstBrokenSequence: 2, reason: "event 2 does not match its hash: it was edited"))
        }
    }

    @Test(arguments: StoreKind.available)
    func deletedMiddleEventIsDetected(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            _ = try await AuditTests.seed(db.store)
            try await db.execute("DELETE FROM audit_events WHERE sequence = 3")
            #expect(try await db.store.verifyAudit() == AuditVerification(
                valid: false, checked: 2, firstBrokenSequence: 3, reason: "event 3 is missing (next stored event is 4)"))
        }
    }

    @Test(arguments: StoreKind.available)
    func deletedLastEventIsDetectedThroughTheHead(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            _ = try await AuditTests.seed(db.store)
            try await db.execute("DELETE FROM audit_events WHERE sequence = 6")
            #expect(try await db.store.verifyAudit() == AuditVerification(
                valid: false, checked: 5, firstBrokenSequence: 6,
                reason: "the log ends at event 5 but 6 were recorded: events were deleted at the end"))
        }
    }

    // MARK: The keyed chain

    private static let key = try! AuditKey(secret: Data(repeating: 7, count: 32), keyedFrom: 4)

    /// Rewrites event `sequence`'s actor and re-seals it and every later event as plain SHA-256, head
    /// included: what someone with write access to the database, but not the key, can do.
    private static func rewriteAndReseal(_ db: TestDatabase, from sequence: Int64) async throws {
        var events = try await db.store.auditEvents(AuditQuery())
        var previous = events.first { $0.sequence == sequence - 1 }?.hash ?? AuditChain.genesisHash
        for index in events.indices where events[index].sequence >= sequence {
            if events[index].sequence == sequence { events[index].actor = "mallory" }
            events[index].previousHash = previous
            events[index].hash = AuditChain.hash(of: events[index])
            previous = events[index].hash
            try await db.execute("""
                UPDATE audit_events SET actor = '\(events[index].actor)', previous_hash = '\(events[index].previousHash)',
                hash = '\(events[index].hash)' WHERE sequence = \(events[index].sequence)
                """)
        }
        try await db.execute("UPDATE audit_head SET hash = '\(previous)' WHERE id = 1")
    }

    /// Three events from before the key, three after it.
    private static func seedAcrossTheKey(_ db: TestDatabase) async throws {
        for second in 1...6 {
            if second == 4 { db.store.sealAudit(with: key) }
            _ = try await db.store.appendAudit(Fixtures.entry("tap.created", actor: "bob", objectId: "t\(second)", tenant: "red"), at: Fixtures.at(second))
        }
    }

    @Test(arguments: StoreKind.available)
    func aLogKeyedPartWayVerifiesItsUnkeyedStartAndItsKeyedRest(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            try await Self.seedAcrossTheKey(db)
            #expect(try await db.store.verifyAudit() == AuditVerification(valid: true, checked: 6, firstBrokenSequence: nil, reason: nil, keyedFrom: 4))
        }
    }

    @Test(arguments: StoreKind.available)
    func rewritingAKeyedEventAndResealingTheChainWithoutTheKeyIsDetected(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            try await Self.seedAcrossTheKey(db)
            try await Self.rewriteAndReseal(db, from: 5)
            #expect(try await db.store.verifyAudit() == AuditVerification(
                valid: false, checked: 4, firstBrokenSequence: 5,
                reason: "event 5 does not match its keyed hash (HMAC with the audit key): it was edited"))
        }
    }

    @Test(arguments: StoreKind.available)
    func anUnkeyedChainResealedWholeIsNotDetectedWithoutAKey(kind: StoreKind) async throws {
        // Why the chain is keyed: without a key, a rewrite re-sealed end to end verifies.
        try await TestDatabase.with(kind) { db in
            _ = try await AuditTests.seed(db.store)
            try await Self.rewriteAndReseal(db, from: 2)
            #expect(try await db.store.verifyAudit().valid)
        }
    }
}
