import Foundation
import Testing
@testable import TapsterServer
import TapsterSystemTestSupport

/// What the change feed hands the relay to other replicas: the batches published here, and only those.
@Suite struct ChangeFeedRelayingTests {
    @Test func eachPublishedBatchReachesTheOutgoingSubscriptionAsOneBatch() async throws {
        let feed = ChangeFeed()
        var outgoing = feed.subscribeOutgoing().makeAsyncIterator()
        feed.publish(.tap(id: "t1", .created), .agent(name: "node-1", .updated))
        feed.publish(.filter(name: "web", .deleted))
        #expect(await outgoing.next() == [.tap(id: "t1", .created), .agent(name: "node-1", .updated)])
        #expect(await outgoing.next() == [.filter(name: "web", .deleted)])
    }

    @Test func aRelayedChangeReachesLocalSubscribersButIsNotSentOnAgain() async throws {
        let feed = ChangeFeed()
        var local = feed.subscribe().makeAsyncIterator()
        var outgoing = feed.subscribeOutgoing().makeAsyncIterator()
        feed.publishRelayed([.tap(id: "remote", .created)])
        feed.publish(.tap(id: "local", .created))
        #expect(await local.next() == .change(.tap(id: "remote", .created)))
        #expect(await local.next() == .change(.tap(id: "local", .created)))
        #expect(await outgoing.next() == [.tap(id: "local", .created)])
    }

    @Test func anOutgoingSubscriptionThatFallsBehindReceivesEverythingInstead() async throws {
        let feed = ChangeFeed(capacity: 2)
        var outgoing = feed.subscribeOutgoing().makeAsyncIterator()
        for n in 1...4 { feed.publish(.tap(id: "t\(n)", .updated)) }
        #expect(await outgoing.next() == [.everything])
        #expect(await outgoing.next() == [.tap(id: "t4", .updated)])
    }
}
