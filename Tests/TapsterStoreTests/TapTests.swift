import Foundation
import TapsterCore
import TapsterStore
import TapsterTestSupport
import Testing

/// Taps: insert, compare-and-set, the scheduler's queries, per-agent status.
@Suite struct TapTests {
    @Test(arguments: StoreKind.available)
    func insertedTapIsFoundById(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let tap = Fixtures.tap()
            try await db.store.insertTap(tap)
            #expect(try await db.store.findTap(id: tap.id) == tap)
            #expect(try await db.store.findTap(id: Identifier.make()) == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func compareAndSetSucceedsOnceAndFailsTheSecondTime(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let tap = Fixtures.tap(state: .active)
            try await db.store.insertTap(tap)
            let expired = try tap.applying(.expire, at: Fixtures.at(600))
            #expect(try await db.store.updateTap(expired, ifStateIs: .active) == true)
            let stopped = try tap.applying(.stop(by: .user, actor: "alice"), at: Fixtures.at(601))
            #expect(try await db.store.updateTap(stopped, ifStateIs: .active) == false)
            #expect(try await db.store.findTap(id: tap.id) == expired)
        }
    }

    @Test(arguments: StoreKind.available)
    func aTapsMatchCountRecordedAfterItsCommitIsKeptByAStopWrittenFromAnEarlierRead(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let tap = Fixtures.tap(state: .active)
            try await db.store.insertTap(tap)
            let readBeforeTheCount = try #require(try await db.store.findTap(id: tap.id))
            try await db.store.recordMatchedWorkloads(7, tapID: tap.id)
            let stopped = try readBeforeTheCount.applying(.stop(by: .user, actor: "alice"), at: Fixtures.at(601))
            #expect(try await db.store.updateTap(stopped, ifStateIs: .active) == true)
            let stored = try #require(try await db.store.findTap(id: tap.id))
            #expect(stored.state == .stopped)
            #expect(stored.matchedWorkloads == 7)
        }
    }

    @Test(arguments: StoreKind.available)
    func listTapsIsNewestFirst(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let old = Fixtures.tap(createdAt: Fixtures.at(0))
            let new = Fixtures.tap(createdAt: Fixtures.at(20))
            let middle = Fixtures.tap(createdAt: Fixtures.at(10))
            for tap in [old, new, middle] { try await db.store.insertTap(tap) }
            #expect(try await db.store.listTaps(TapQuery()).map(\.id) == [new.id, middle.id, old.id])
        }
    }

    @Test(arguments: StoreKind.available)
    func listTapsOfTenantsAlsoGivesTheOwnersOwnTaps(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let blue = Fixtures.tap(owner: "bob", tenant: "blue", createdAt: Fixtures.at(3))
            let red = Fixtures.tap(owner: "carol", tenant: "red", createdAt: Fixtures.at(2))
            let alicesElsewhere = Fixtures.tap(owner: "alice", tenant: "green", createdAt: Fixtures.at(1))
            let alicesUntenanted = Fixtures.tap(owner: "alice", tenant: nil, createdAt: Fixtures.at(0))
            for tap in [blue, red, alicesElsewhere, alicesUntenanted] { try await db.store.insertTap(tap) }
            let listed = try await db.store.listTaps(TapQuery(tenants: ["blue"], ownerID: "id-alice"))
            #expect(listed.map(\.id) == [blue.id, alicesElsewhere.id, alicesUntenanted.id])
            #expect(try await db.store.listTaps(TapQuery(tenants: ["blue", "red"])).map(\.id) == [blue.id, red.id])
            #expect(try await db.store.listTaps(TapQuery(tenants: [])).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func listTapsFiltersByStateFilterAndTarget(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let active = Fixtures.tap(createdAt: Fixtures.at(2), state: .active, filter: "web", target: "tool")
            let pending = Fixtures.tap(createdAt: Fixtures.at(1), state: .pending, filter: "db", target: "tool")
            let stopped = Fixtures.tap(createdAt: Fixtures.at(0), state: .stopped, filter: "web", target: "recorder")
            for tap in [active, pending, stopped] { try await db.store.insertTap(tap) }
            #expect(try await db.store.listTaps(TapQuery(states: [.active, .pending])).map(\.id) == [active.id, pending.id])
            #expect(try await db.store.listTaps(TapQuery(filter: "web")).map(\.id) == [active.id, stopped.id])
            #expect(try await db.store.listTaps(TapQuery(target: "recorder")).map(\.id) == [stopped.id])
            #expect(try await db.store.listTaps(TapQuery(states: [.active], filter: "db")).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func dueTapsAreLiveTapsAtOrPastTheirDeadline(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let dueEarlier = Fixtures.tap(createdAt: Fixtures.at(0), seconds: 60)
            let dueNow = Fixtures.tap(createdAt: Fixtures.at(0), seconds: 120, state: .pending)
            let later = Fixtures.tap(createdAt: Fixtures.at(0), seconds: 121)
            let ended = Fixtures.tap(createdAt: Fixtures.at(0), seconds: 30, state: .expired)
            for tap in [later, dueNow, ended, dueEarlier] { try await db.store.insertTap(tap) }
            #expect(try await db.store.dueTaps(at: Fixtures.at(120)).map(\.id) == [dueEarlier.id, dueNow.id])
        }
    }

    @Test(arguments: StoreKind.available)
    func nextDeadlineIsTheEarliestAmongLiveTaps(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            #expect(try await db.store.nextDeadline() == nil)
            try await db.store.insertTap(Fixtures.tap(createdAt: Fixtures.at(0), seconds: 30, state: .stopped))
            try await db.store.insertTap(Fixtures.tap(createdAt: Fixtures.at(0), seconds: 300))
            try await db.store.insertTap(Fixtures.tap(createdAt: Fixtures.at(0), seconds: 90, state: .pending))
            #expect(try await db.store.nextDeadline() == Fixtures.at(90))
        }
    }

    @Test(arguments: StoreKind.available)
    func liveTapCountCountsPendingAndActiveTapsOfTheOwner(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            for state in [TapState.active, .pending, .stopped, .expired, .failed] {
                try await db.store.insertTap(Fixtures.tap(owner: "alice", state: state))
            }
            try await db.store.insertTap(Fixtures.tap(owner: "bob", state: .active))
            #expect(try await db.store.liveTapCount(ownerID: "id-alice") == 2)
            #expect(try await db.store.liveTapCount(ownerID: "id-nobody") == 0)
        }
    }

    @Test(arguments: StoreKind.available)
    func agentStatusIsInsertedThenReplaced(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let tap = Fixtures.tap()
            try await db.store.insertTap(tap)
            let hostB = TapAgentStatus(agent: "host-b", state: .pending, updatedAt: Fixtures.at(1))
            try await db.store.upsertTapAgentStatus(tapID: tap.id, TapAgentStatus(agent: "host-a", state: .pending, updatedAt: Fixtures.at(1)))
            try await db.store.upsertTapAgentStatus(tapID: tap.id, hostB)
            let applied = TapAgentStatus(agent: "host-a", state: .applied, packets: 10, bytes: 15_000, drops: 1, updatedAt: Fixtures.at(2))
            try await db.store.upsertTapAgentStatus(tapID: tap.id, applied)
            #expect(try await db.store.tapAgentStatuses(tapID: tap.id) == [applied, hostB])
            #expect(try await db.store.tapAgentStatuses(tapID: "other").isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func tapsAreStoredWithoutAgentStatus(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            var tap = Fixtures.tap()
            tap.agents = [TapAgentStatus(agent: "host-a", state: .applied, updatedAt: Fixtures.at(1))]
            try await db.store.insertTap(tap)
            #expect(try await db.store.findTap(id: tap.id)?.agents == nil)
        }
    }
}
