import Foundation
import TapsterCore
import TapsterStore
import TapsterTestSupport
import Testing

/// A tap's four-eyes approval in the store (migration 15): kept through insert and every compare-and-set, and a
/// pending request's deadline — its expiry unanswered — is what the expiry scheduler reads.
@Suite struct TapApprovalStoreTests {
    /// Alice's request at 0, waiting for approval until 3600.
    static func pendingTap() -> Tap {
        var tap = Fixtures.tap(state: .pending)
        tap.approval = TapApproval(requestedAt: tap.createdAt)
        tap.deadline = Fixtures.at(3600)
        return tap
    }

    @Test(arguments: StoreKind.available)
    func aPendingRequestAndItsApprovalRoundTrip(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let pending = Self.pendingTap()
            try await db.store.insertTap(pending)
            #expect(try await db.store.findTap(id: pending.id) == pending)

            let approved = try pending.applying(.approve(approver: "ada", approverID: "id-ada", reason: "change 4711"), at: Fixtures.at(120))
            #expect(try await db.store.updateTap(approved, ifStateIs: .pending))
            let stored = try #require(try await db.store.findTap(id: pending.id))
            #expect(stored == approved)
            #expect(stored.approval == TapApproval(state: .approved, requestedAt: Fixtures.at(0), approver: "ada", approverID: "id-ada",
                                                   decidedAt: Fixtures.at(120), reason: "change 4711"))
            #expect(stored.deadline == Fixtures.at(120 + 600))
            #expect(try await db.store.listTaps(TapQuery(states: [.pending])).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func aRejectionRoundTripsWithItsReason(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let pending = Self.pendingTap()
            try await db.store.insertTap(pending)
            let rejected = try pending.applying(.reject(approver: "ada", approverID: "id-ada", reason: "no"), at: Fixtures.at(60))
            #expect(try await db.store.updateTap(rejected, ifStateIs: .pending))
            #expect(try await db.store.findTap(id: pending.id) == rejected)
            #expect(try await db.store.listTaps(TapQuery(states: [.rejected])).map(\.id) == [pending.id])
        }
    }

    @Test(arguments: StoreKind.available)
    func anUnansweredRequestIsDueAtItsApprovalExpiry(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let pending = Self.pendingTap()
            try await db.store.insertTap(pending)
            #expect(try await db.store.nextDeadline() == Fixtures.at(3600))
            #expect(try await db.store.dueTaps(at: Fixtures.at(3599)).isEmpty)
            #expect(try await db.store.dueTaps(at: Fixtures.at(3600)).map(\.id) == [pending.id])
        }
    }
}
