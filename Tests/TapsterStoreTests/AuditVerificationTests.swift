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
}
