import Foundation
import HTTPTypes
import Testing
import TapsterCore
import TapsterAPI
@testable import TapsterServer
import TapsterStore
import TapsterSystemTestSupport
import TapsterTestSupport

/// The change feed: what its subscribers receive, when, and what a slow subscriber gets instead.
@Suite struct ChangeFeedTests {
    /// Reads `subscription` in the background into `events`, until the test ends.
    private final class Reader: Sendable {
        let events = LockedValue<[ChangeFeed.Event]>([])
        private let task: Task<Void, Never>

        init(_ subscription: ChangeFeed.Subscription,
             onEvent: @escaping @Sendable (ChangeFeed.Event) async -> ChangeFeed.Event = { $0 }) {
            let events = events
            task = Task {
                for await event in subscription {
                    let recorded = await onEvent(event)
                    events.update { $0.append(recorded) }
                }
            }
        }

        deinit { task.cancel() }

        /// The first `count` events, waiting for them.
        func first(_ count: Int) async throws -> [ChangeFeed.Event] {
            try await eventually("\(count) event(s) from the change feed") { [events] in
                let seen = events.value
                return seen.count >= count ? Array(seen.prefix(count)) : nil
            }
        }
    }

    @Test func everySubscriberReceivesEveryChangeInOrder() async throws {
        let feed = ChangeFeed()
        let readers = [Reader(feed.subscribe()), Reader(feed.subscribe())]
        feed.publish(.tap(id: "t1", .created), .agent(name: "node-1", .updated))
        feed.publish(.filter(name: "web", .deleted))
        for reader in readers {
            #expect(try await reader.first(3) == [.change(.tap(id: "t1", .created)), .change(.agent(name: "node-1", .updated)),
                                                  .change(.filter(name: "web", .deleted))])
        }
    }

    @Test func subscriberThatFallsBehindReceivesResyncAndThePublisherDoesNotWait() async throws {
        let feed = ChangeFeed(capacity: 4)
        let subscription = feed.subscribe()
        // Nobody reads yet: `publish` is synchronous and returns although the buffer overflows, twice.
        for n in 1...10 { feed.publish(.tap(id: "t\(n)", .updated)) }
        let reader = Reader(subscription)
        #expect(try await reader.first(2) == [.resync, .change(.tap(id: "t10", .updated))])
    }

    @Test func aSubscriberThatFallsBehindDoesNotDelayAnother() async throws {
        let feed = ChangeFeed(capacity: 2)
        _ = feed.subscribe()  // never read
        let reader = Reader(feed.subscribe())
        for n in 1...2 { feed.publish(.tap(id: "t\(n)", .updated)) }
        #expect(try await reader.first(2) == [.change(.tap(id: "t1", .updated)), .change(.tap(id: "t2", .updated))])
        feed.publish(.tap(id: "t3", .updated))
        #expect(try await reader.first(3).last == .change(.tap(id: "t3", .updated)))
    }

    @Test(arguments: StoreKind.available)
    func aChangeIsPublishedOnceItsTransactionHasCommitted(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            _ = try await Fixture.make(api)
            // What the store holds when the change arrives: the committed description.
            let reader = Reader(controlPlane.changes.subscribe()) { event in
                let target = try? await controlPlane.store.find("wireshark-1", in: .targets)
                return target?.spec.description == "moved" ? event : .resync
            }
            _ = try await api.expect(Target.self, .put, "/api/v1/targets/wireshark-1", token: TestServer.adminToken, json: TargetSpec(
                name: "wireshark-1", description: "moved", kind: .erspan, destination: try IPAddress(parsing: "192.0.2.10"), sessionId: 42))
            #expect(try await reader.first(1) == [.change(.target(name: "wireshark-1", .updated))])
        }
    }

    @Test(arguments: StoreKind.available)
    func aRolledBackTransactionPublishesNothing(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            _ = try await Fixture.make(api)
            let reader = Reader(controlPlane.changes.subscribe())
            // A grant uses the filter: the deletion fails inside its transaction, which rolls back.
            let refused = try await api.failure(.delete, "/api/v1/filters/web-to-db", token: TestServer.adminToken)
            #expect(refused.error.code == .inUse)
            // The next committed change is the first event the subscriber sees.
            _ = try await api.expect(Target.self, .put, "/api/v1/targets/wireshark-1", token: TestServer.adminToken, json: TargetSpec(
                name: "wireshark-1", description: "moved", kind: .erspan, destination: try IPAddress(parsing: "192.0.2.10"), sessionId: 42))
            #expect(try await reader.first(1) == [.change(.target(name: "wireshark-1", .updated))])
        }
    }

    @Test(arguments: StoreKind.available)
    func creatingAFilterOrATargetIsPublished(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let reader = Reader(controlPlane.changes.subscribe())
            _ = try await api.expect(Target.self, .post, "/api/v1/targets", token: TestServer.adminToken, json: TargetSpec(
                name: "tool", kind: .gre, destination: try IPAddress(parsing: "192.0.2.40")))
            _ = try await api.expect(FilterView.self, .post, "/api/v1/filters", token: TestServer.adminToken, json: FilterSpec(
                name: "web", selector: try LabelSelector(parsing: "app=web")))
            #expect(try await reader.first(2) == [.change(.target(name: "tool", .created)), .change(.filter(name: "web", .created))])
        }
    }

    /// A model read before a filter and a target existed, then told only of a tap using them (as a replica
    /// whose relay of their creation is still on its way is), plans the tap with them read from the store.
    @Test(arguments: StoreKind.available)
    func aTapsFilterAndTargetTheModelHasNotHeardOfAreReadWithTheTap(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            var model = try await PlanningModel.load(from: controlPlane.store)
            let fixture = try await Fixture.make(api)
            let tap = try await fixture.aliceTap(api)
            try await model.refresh(.tap(id: tap.tap.id, .created), from: controlPlane.store)
            let inputs = model.inputs(now: Date(), tunnelKeySecret: try await TunnelKeys.secret(in: controlPlane.store))
            #expect(inputs.filters.map(\.name) == ["web-to-db"] && inputs.targets.map(\.name) == ["wireshark-1"])
        }
    }
}
