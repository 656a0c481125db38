import Foundation
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterSystemTestSupport
import TapsterTestSupport
import Testing

/// The capture broker learns that a capture's tap ended from the change feed — a change committed on this
/// replica or relayed from another — not from a call by whoever ended it.
@Suite("Capture broker on the change feed")
struct CaptureBrokerChangeFeedTests {
    /// A broker following `feed` over a fresh store, for `body`; the following task ends (and is awaited) with it.
    static func following(_ body: (CaptureBrokerTests.Rig, ChangeFeed, any Store) async throws -> Void) async throws {
        try await TestDatabase.with(.sqlite) { database in
            let rig = CaptureBrokerTests.Rig()
            let feed = ChangeFeed()
            let subscription = feed.subscribe()
            let following = Task { await rig.broker.follow(subscription, taps: database.store) }
            // Awaited, not only cancelled: the store closes after this, and must not while a read is in flight.
            do {
                try await body(rig, feed, database.store)
            } catch {
                following.cancel()
                await following.value
                throw error
            }
            following.cancel()
            await following.value
        }
    }

    /// Stores the tap of capture `id` in `state`.
    static func storeTap(_ id: String, _ state: TapState, in store: any Store) async throws {
        var tap = Tap(id: id, tenant: nil, owner: "alice", filter: "web", target: "live", duration: TapDuration(seconds: 600),
                      createdAt: Date(), capture: CaptureNarrowing(mode: .stream))
        tap.state = state
        try await store.insertTap(tap)
    }

    /// How capture `id` ended, once it has: the test clock passes the drain's grace only once the capture
    /// drains, so no other deadline or grace of the rig's captures passes meanwhile.
    static func endReason(_ id: String, _ rig: CaptureBrokerTests.Rig) async throws -> CaptureEndReason? {
        try await eventually(timeout: .seconds(30), "capture \(id) to finish") { () -> CaptureEndReason?? in
            if let session = await rig.broker.session(id), case .draining = await session.phase { rig.clock.advance(by: 3) }
            await rig.broker.tick()
            return await rig.recorder.finishedCalls.first { $0.id == id }.map { $0.summary.reason }
        }
    }

    @Test("a tap stopped on another replica (a relayed change) ends its capture here: stopped")
    func relayedStopEndsTheCapture() async throws {
        try await Self.following { rig, feed, store in
            let id = await rig.start()
            try await Self.storeTap(id, .stopped, in: store)
            feed.publishRelayed([.tap(id: id, .updated)])
            #expect(try await Self.endReason(id, rig) == .stopped)
            #expect(await rig.recorder.endedReasons.isEmpty, "the broker does not stop a tap that is stopped already")
        }
    }

    @Test("a tap expired by any replica ends its capture: deadline")
    func expiryEndsTheCaptureAtItsDeadline() async throws {
        try await Self.following { rig, feed, store in
            let id = await rig.start()
            try await Self.storeTap(id, .expired, in: store)
            feed.publish(.tap(id: id, .updated))
            #expect(try await Self.endReason(id, rig) == .deadline)
        }
    }

    /// Two captures: one whose tap is live, one whose tap was stopped.
    static func liveAndStopped(_ rig: CaptureBrokerTests.Rig, _ store: any Store) async throws -> (live: String, stopped: String) {
        let live = await rig.start()
        try await storeTap(live, .active, in: store)
        let stopped = await rig.start()
        try await storeTap(stopped, .stopped, in: store)
        return (live, stopped)
    }

    @Test("a change of a live tap leaves its capture running")
    func liveTapKeepsItsCapture() async throws {
        try await Self.following { rig, feed, store in
            let (live, stopped) = try await Self.liveAndStopped(rig, store)
            // In feed order: once the second capture has ended, the first change was handled too.
            feed.publishRelayed([.tap(id: live, .updated), .tap(id: stopped, .updated)])
            #expect(try await Self.endReason(stopped, rig) == .stopped)
            #expect(await rig.broker.runningCaptures == [live])
        }
    }

    @Test("after missed changes (everything), every capture whose tap ended is ended, the others keep running")
    func everythingRereadsEveryCapturesTap() async throws {
        try await Self.following { rig, feed, store in
            let (live, stopped) = try await Self.liveAndStopped(rig, store)
            feed.publishRelayed([.everything])
            #expect(try await Self.endReason(stopped, rig) == .stopped)
            #expect(await rig.broker.runningCaptures == [live])
        }
    }

    @Test("a capture whose tap is gone from the store ends: stopped")
    func goneTapEndsTheCapture() async throws {
        try await Self.following { rig, feed, _ in
            let id = await rig.start()
            feed.publishRelayed([.tap(id: id, .deleted)])
            let reason = try await Self.endReason(id, rig)
            #expect(reason == .stopped)
        }
    }
}
