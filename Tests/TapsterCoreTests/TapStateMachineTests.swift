import Foundation
import Testing
import TapsterCore

@Suite("Tap state machine")
struct TapStateMachineTests {
    /// The events, as the table below names them.
    enum Event: String, CaseIterable, Sendable {
        case activate, stopByUser, stopByAdmin, expire, fail

        var tapEvent: TapEvent {
            switch self {
            case .activate: .activate
            case .stopByUser: .stop(by: .user, actor: "alice")
            case .stopByAdmin: .stop(by: .admin, actor: "root")
            case .expire: .expire
            case .fail: .fail(reason: "no agent reported")
            }
        }
    }

    enum Outcome: Sendable, Equatable {
        /// The next state, who stopped it (as recorded), why it failed, and whether it ended now.
        case next(TapState, stoppedBy: StopActor? = nil, stoppedByUser: String? = nil, failureReason: String? = nil, ends: Bool)
        /// `invalid_state` with this message.
        case invalid(String)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var state: TapState
        var event: Event
        var outcome: Outcome
        var testDescription: String { "\(state.rawValue) + \(event.rawValue)" }
    }

    static let tapID = "3f9b2c1e-0000-4000-8000-000000000001"

    /// Every (state × event) pair and what it leads to.
    static let table: [Row] = [
        Row(state: .pending, event: .activate, outcome: .next(.active, ends: false)),
        Row(state: .pending, event: .stopByUser, outcome: .next(.stopped, stoppedBy: .user, stoppedByUser: "alice", ends: true)),
        Row(state: .pending, event: .stopByAdmin, outcome: .next(.stopped, stoppedBy: .admin, stoppedByUser: "root", ends: true)),
        Row(state: .pending, event: .expire, outcome: .next(.expired, ends: true)),
        Row(state: .pending, event: .fail, outcome: .next(.failed, failureReason: "no agent reported", ends: true)),

        Row(state: .active, event: .activate, outcome: .invalid("tap \(tapID) is active; it cannot be activated")),
        Row(state: .active, event: .stopByUser, outcome: .next(.stopped, stoppedBy: .user, stoppedByUser: "alice", ends: true)),
        Row(state: .active, event: .stopByAdmin, outcome: .next(.stopped, stoppedBy: .admin, stoppedByUser: "root", ends: true)),
        Row(state: .active, event: .expire, outcome: .next(.expired, ends: true)),
        Row(state: .active, event: .fail, outcome: .next(.failed, failureReason: "no agent reported", ends: true)),

        Row(state: .stopped, event: .activate, outcome: .invalid("tap \(tapID) is stopped; it cannot be activated")),
        Row(state: .stopped, event: .stopByUser, outcome: .invalid("tap \(tapID) is stopped; it cannot be stopped")),
        Row(state: .stopped, event: .stopByAdmin, outcome: .invalid("tap \(tapID) is stopped; it cannot be stopped")),
        Row(state: .stopped, event: .expire, outcome: .invalid("tap \(tapID) is stopped; it cannot expire")),
        Row(state: .stopped, event: .fail, outcome: .invalid("tap \(tapID) is stopped; it cannot fail")),

        Row(state: .expired, event: .activate, outcome: .invalid("tap \(tapID) is expired; it cannot be activated")),
        Row(state: .expired, event: .stopByUser, outcome: .invalid("tap \(tapID) is expired; it cannot be stopped")),
        Row(state: .expired, event: .stopByAdmin, outcome: .invalid("tap \(tapID) is expired; it cannot be stopped")),
        Row(state: .expired, event: .expire, outcome: .invalid("tap \(tapID) is expired; it cannot expire")),
        Row(state: .expired, event: .fail, outcome: .invalid("tap \(tapID) is expired; it cannot fail")),

        Row(state: .failed, event: .activate, outcome: .invalid("tap \(tapID) is failed; it cannot be activated")),
        Row(state: .failed, event: .stopByUser, outcome: .invalid("tap \(tapID) is failed; it cannot be stopped")),
        Row(state: .failed, event: .stopByAdmin, outcome: .invalid("tap \(tapID) is failed; it cannot be stopped")),
        Row(state: .failed, event: .expire, outcome: .invalid("tap \(tapID) is failed; it cannot expire")),
        Row(state: .failed, event: .fail, outcome: .invalid("tap \(tapID) is failed; it cannot fail")),

        Row(state: .rejected, event: .activate, outcome: .invalid("tap \(tapID) is rejected; it cannot be activated")),
        Row(state: .rejected, event: .stopByUser, outcome: .invalid("tap \(tapID) is rejected; it cannot be stopped")),
        Row(state: .rejected, event: .stopByAdmin, outcome: .invalid("tap \(tapID) is rejected; it cannot be stopped")),
        Row(state: .rejected, event: .expire, outcome: .invalid("tap \(tapID) is rejected; it cannot expire")),
        Row(state: .rejected, event: .fail, outcome: .invalid("tap \(tapID) is rejected; it cannot fail")),
    ]

    static func tap(_ state: TapState) -> Tap {
        Tap(id: tapID, tenant: "shop", owner: "alice", filter: "web-db", target: "ids", description: "debug 502s",
            state: state, duration: Fixture.duration("1h"), createdAt: Fixture.t0, matchedWorkloads: 3)
    }

    static let now = Fixture.t0.addingTimeInterval(600)

    @Test("the table covers every state × event pair exactly once")
    func tableIsComplete() {
        let pairs = Self.table.map { "\($0.state.rawValue)+\($0.event.rawValue)" }
        let all = TapState.allCases.flatMap { s in Event.allCases.map { "\(s.rawValue)+\($0.rawValue)" } }
        #expect(pairs.sorted() == all.sorted())
    }

    @Test("each event in each state leads to the expected tap, or to invalid_state", arguments: TapStateMachineTests.table)
    func transition(row: Row) throws {
        let before = Self.tap(row.state)
        switch row.outcome {
        case .next(let state, let stoppedBy, let stoppedByUser, let failureReason, let ends):
            var expected = before
            expected.state = state
            expected.stoppedBy = stoppedBy
            expected.stoppedByUser = stoppedByUser
            expected.failureReason = failureReason
            expected.endedAt = ends ? Self.now : nil
            #expect(try before.applying(row.event.tapEvent, at: Self.now) == expected)
        case .invalid(let message):
            #expect(throws: TapsterError(.invalidState, message)) { try before.applying(row.event.tapEvent, at: Self.now) }
        }
    }

    @Test("a transition from a final state is refused with invalid_state")
    func invalidStateCode() throws {
        let error = try #require(throws: TapsterError.self) { try Self.tap(.expired).applying(.expire, at: Self.now) }
        #expect(error.code == .invalidState)
    }

    @Test("a transition keeps the deadline, whatever the time it happens at")
    func transitionKeepsDeadline() throws {
        let late = Fixture.t0.addingTimeInterval(7_200)
        let expired = try Self.tap(.active).applying(.expire, at: late)
        #expect(expired.deadline == Fixture.t0.addingTimeInterval(3_600))
        #expect(expired.endedAt == late)
    }

    // MARK: Deadline and remaining time

    @Test("the deadline is the creation time plus the duration", arguments: ["90s", "1h30m", "7d"])
    func deadline(duration: String) {
        let d = Fixture.duration(duration)
        let tap = Tap(tenant: nil, owner: "root", filter: "f", target: "t", duration: d, createdAt: Fixture.t0)
        #expect(tap.deadline == Fixture.t0.addingTimeInterval(TimeInterval(d.seconds)))
    }

    @Test("a new tap is active, not ended, with nothing recorded about its end")
    func newTapDefaults() {
        let tap = Tap(tenant: "shop", owner: "alice", filter: "f", target: "t", duration: Fixture.duration("1h"), createdAt: Fixture.t0)
        #expect(tap.state == .active)
        #expect(tap.endedAt == nil)
        #expect(tap.stoppedBy == nil)
        #expect(tap.stoppedByUser == nil)
        #expect(tap.failureReason == nil)
        #expect(tap.reactivatedFrom == nil)
        #expect(tap.matchedWorkloads == 0)
        #expect(tap.agents == nil)
        #expect(Identifier.isIdentifier(tap.id))
    }

    @Test("a reactivated tap links to the one it re-activates")
    func reactivatedFrom() {
        let tap = Tap(tenant: "shop", owner: "alice", filter: "f", target: "t", duration: Fixture.duration("1h"),
                      createdAt: Fixture.t0, reactivatedFrom: Self.tapID)
        #expect(tap.reactivatedFrom == Self.tapID)
    }

    @Test("a live tap has the time to its deadline left, never less than 0", arguments: [
        (TapState.active, 0.0, 3_600.0), (.active, 600, 3_000), (.active, 3_599.5, 0.5), (.active, 3_600, 0), (.active, 9_999, 0),
        (.pending, 60, 3_540), (.active, -60, 3_660),
    ] as [(TapState, TimeInterval, TimeInterval)])
    func remainingWhileLive(state: TapState, elapsed: TimeInterval, remaining: TimeInterval) {
        #expect(Self.tap(state).remaining(at: Fixture.t0.addingTimeInterval(elapsed)) == remaining)
    }

    @Test("an ended tap has no time left, even before its deadline", arguments: [TapState.stopped, .expired, .failed, .rejected])
    func remainingWhenEnded(state: TapState) {
        #expect(Self.tap(state).remaining(at: Fixture.t0) == 0)
    }

    @Test("pending and active taps are live; stopped, expired, failed and rejected taps have ended", arguments: [
        (TapState.pending, true, false), (.active, true, false), (.stopped, false, true), (.expired, false, true), (.failed, false, true),
        (.rejected, false, true),
    ])
    func liveAndEnded(state: TapState, live: Bool, ended: Bool) {
        #expect(state.isLive == live)
        #expect(state.isEnded == ended)
    }

    // MARK: Four-eyes approval

    /// A tap waiting for approval, requested at t0: its deadline is the request's expiry (an hour later).
    static func awaitingApproval() -> Tap {
        var tap = tap(.pending)
        tap.approval = TapApproval(requestedAt: Fixture.t0)
        tap.deadline = Fixture.t0.addingTimeInterval(3600)
        return tap
    }

    @Test("approval makes a pending request active, its deadline counted from the approval")
    func approval() throws {
        let approved = try Self.awaitingApproval().applying(.approve(approver: "ada", approverID: "id-ada", reason: nil), at: Self.now)
        #expect(approved.state == .active)
        #expect(approved.deadline == Self.now.addingTimeInterval(3600))
        #expect(approved.approval == TapApproval(state: .approved, requestedAt: Fixture.t0, approver: "ada", approverID: "id-ada", decidedAt: Self.now))
        #expect(approved.endedAt == nil)
    }

    @Test("rejection ends a pending request rejected, with the approver and the reason")
    func rejection() throws {
        let rejected = try Self.awaitingApproval().applying(.reject(approver: "ada", approverID: "id-ada", reason: "no"), at: Self.now)
        #expect(rejected.state == .rejected)
        #expect(rejected.endedAt == Self.now)
        #expect(rejected.approval == TapApproval(state: .rejected, requestedAt: Fixture.t0, approver: "ada", approverID: "id-ada",
                                                 decidedAt: Self.now, reason: "no"))
    }

    @Test("an unanswered request expires with its approval expired")
    func unansweredExpiry() throws {
        let expired = try Self.awaitingApproval().applying(.expire, at: Self.now)
        #expect(expired.state == .expired)
        #expect(expired.approval?.state == .expired)
        #expect(expired.approval?.approver == nil)
    }

    @Test("only a request waiting for approval can be approved or rejected", arguments: [TapState.active, .stopped, .rejected])
    func approvalOfAnythingElseIsInvalid(state: TapState) {
        var tap = Self.awaitingApproval()
        tap.state = state
        #expect(throws: TapsterError(.invalidState, "tap \(Self.tapID) is \(state.rawValue); it cannot be approved")) {
            try tap.applying(.approve(approver: "ada", approverID: "id-ada", reason: nil), at: Self.now)
        }
        #expect(throws: TapsterError(.invalidState, "tap \(Self.tapID) is pending; it cannot be rejected")) {
            try Self.tap(.pending).applying(.reject(approver: "ada", approverID: "id-ada", reason: "no"), at: Self.now)
        }
    }
}
