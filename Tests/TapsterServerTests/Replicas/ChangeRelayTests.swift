import Foundation
import Testing
@testable import TapsterServer
import TapsterStore
import TapsterSystemTestSupport
import TapsterTestSupport

/// The change feed across replicas on a real PostgreSQL database: two replicas' relays in this process,
/// each with its own store (its own connections), feed and listening connection.
@Suite(.serialized, .enabled(if: StoreKind.postgresAdminURL != nil || StoreKind.isCI, "needs PostgreSQL (TAPSTER_TEST_POSTGRES_URL)"))
struct ChangeRelayTests {
    /// One replica: its feed, what its local subscribers received, its state.
    struct Side: Sendable {
        let feed: ChangeFeed
        let replica: ReplicaState
        let received: LockedValue<[ChangeFeed.Event]>

        /// The first `count` events its subscribers received, waiting for them.
        func first(_ count: Int) async throws -> [ChangeFeed.Event] {
            try await eventually(timeout: .seconds(30), "\(count) event(s) on \(replica.identity.name)'s feed") { [received] in
                let seen = received.value
                return seen.count >= count ? Array(seen.prefix(count)) : nil
            }
        }
    }

    /// Runs `body` with two relaying replicas, both listening, on a fresh database.
    private func withTwoReplicas(_ body: (TestDatabase, Side, Side) async throws -> Void) async throws {
        try await TestDatabase.with(.postgres) { db in
            let other = try await SQLStore.open(try DatabaseConfiguration(parsing: db.databaseURL), logger: TestDatabase.quietLogger)
            var tasks: [Task<Void, Never>] = []
            defer { for task in tasks { task.cancel() } }
            var sides: [Side] = []
            for (index, store) in [db.store, other].enumerated() {
                let replica = ReplicaState(identity: try ReplicaIdentity(name: "replica-\(index + 1)", agentAddress: "127.0.0.1:0"), relayed: true)
                let side = Side(feed: ChangeFeed(), replica: replica, received: LockedValue([]))
                let relay = ChangeRelay(store: store, feed: side.feed, replica: replica, logger: TestDatabase.quietLogger)
                let subscription = side.feed.subscribe()
                tasks.append(Task { try? await relay.run() })
                tasks.append(Task { for await event in subscription { side.received.update { $0.append(event) } } })
                sides.append(side)
            }
            do {
                for side in sides {
                    try await eventually(timeout: .seconds(30), "\(side.replica.identity.name) to listen") {
                        side.replica.feedState == .listening ? true : nil
                    }
                }
                try await body(db, sides[0], sides[1])
            } catch {
                for task in tasks { task.cancel() }
                for task in tasks { await task.value }  // no relay may still use a store that closes next
                try? await other.shutdown()
                throw error
            }
            for task in tasks { task.cancel() }
            for task in tasks { await task.value }
            try await other.shutdown()
        }
    }

    @Test func aChangePublishedOnOneReplicaReachesTheOthersSubscribersAsIfItWereLocal() async throws {
        try await withTwoReplicas { _, a, b in
            a.feed.publish(.tap(id: "t1", .created), .workload(id: "w1", host: "node-1", .updated))
            let heard = try await b.first(2)
            #expect(heard == [.change(.tap(id: "t1", .created)), .change(.workload(id: "w1", host: "node-1", .updated))])
            // A counts its notification once its NOTIFY returned, which B may hear first.
            let sent = try await eventually(timeout: .seconds(30), "A to count its notification") {
                a.replica.notificationsSent > 0 ? a.replica.notificationsSent : nil
            }
            #expect(sent == 1)
            #expect(b.replica.notificationsReceived == 1)
        }
    }

    @Test func aReplicaDoesNotHearItsOwnChangesBack() async throws {
        try await withTwoReplicas { _, a, b in
            a.feed.publish(.tap(id: "mine", .created))
            _ = try await b.first(1)
            // B's change is committed after A's notification was; PostgreSQL delivers in commit order, so an
            // echo of A's own change would arrive before it.
            b.feed.publish(.tap(id: "theirs", .created))
            let heard = try await a.first(2)
            #expect(heard == [.change(.tap(id: "mine", .created)), .change(.tap(id: "theirs", .created))])
            #expect(a.replica.notificationsReceived == 1)
        }
    }

    @Test func aReplicaWhoseListeningConnectionIsLostReconnectsAndTellsItsSubscribersToReReadEverything() async throws {
        try await withTwoReplicas { db, a, b in
            let name = ChangeRelay.applicationName(b.replica.identity.name)
            try await db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '\(name)'")
            let afterLoss = try await b.first(1)
            #expect(afterLoss == [.change(.everything)])
            #expect(b.replica.feedReconnects == 1)
            #expect(b.replica.feedState == .listening)
            // And it hears the others again.
            a.feed.publish(.agent(name: "node-1", .updated))
            let heard = try await b.first(2)
            #expect(heard.last == .change(.agent(name: "node-1", .updated)))
        }
    }
}
