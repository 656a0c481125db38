import Foundation
import HTTPTypes
import Testing
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterSystemTestSupport
import TapsterTestSupport

/// Four-eyes approval through the native API, on every store: a grant that requires approval makes an owner's tap
/// `pending`; only an admin other than the requester approves or rejects it; unanswered, it expires.
@Suite struct TapApprovalTests {
    /// The fixture, plus a target `payload-tool` that alice may use only with an admin's approval, and a second admin
    /// `ada` (the fixture's admin is `root`).
    struct Cast {
        let fixture: Fixture
        let ada: String

        static func make(_ api: API, approval: ApprovalRequirement? = .required) async throws -> Cast {
            let fixture = try await Fixture.make(api)
            _ = try await api.expect(Target.self, .post, "/api/v1/targets", token: fixture.admin, json: TargetSpec(
                name: "payload-tool", kind: .erspan, destination: try IPAddress(parsing: "192.0.2.40"), sessionId: 43))
            _ = try await api.expect(Grant.self, .post, "/api/v1/grants", token: fixture.admin, json: GrantSpec(
                user: "alice", filter: "web-to-db", target: "payload-tool", maxDuration: try TapDuration(parsing: "1h"), approval: approval))
            _ = try await api.expect(User.self, .post, "/api/v1/users", token: fixture.admin,
                                     json: UserCreateRequest(name: "ada", role: .admin, password: "password-of-ada"))
            let ada = try await api.expect(IssuedToken.self, .post, "/api/v1/users/ada/tokens", token: fixture.admin,
                                           json: TokenRequest(name: "test")).token
            return Cast(fixture: fixture, ada: ada)
        }

        func request(_ api: API, for duration: String = "10m") async throws -> TapView {
            try await api.expect(TapView.self, .post, "/api/v1/taps", token: fixture.alice,
                                 json: TapRequest(filter: "web-to-db", target: "payload-tool", duration: try TapDuration(parsing: duration)))
        }

        func auditActions(_ api: API, _ tap: String) async throws -> [AuditEvent] {
            try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&tap=\(tap)", token: fixture.admin).items
        }
    }

    @Test(arguments: StoreKind.available)
    func aTapThroughAGrantRequiringApprovalIsCreatedPendingAndStoredSo(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let cast = try await Cast.make(api)
            let created = try await cast.request(api)
            #expect(created.tap.state == .pending)
            #expect(created.tap.approval?.state == .pending)
            let stored = try #require(try await controlPlane.store.findTap(id: created.tap.id))
            #expect(stored.approval == created.tap.approval)
            #expect(abs(stored.deadline.timeIntervalSince(created.tap.createdAt) - 3600) < 1, "a pending tap's deadline is its request's expiry")
            let queue = try await api.expect(ItemList<Tap>.self, .get, "/api/v1/taps?state=pending", token: cast.ada).items
            #expect(queue.map(\.id) == [created.tap.id])
        }
    }

    @Test(arguments: StoreKind.available)
    func anotherAdminsApprovalMakesItActiveWithTheDeadlineCountedFromApproval(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let cast = try await Cast.make(api)
            let created = try await cast.request(api, for: "10m")
            let before = Date()
            let approved = try await api.expect(Tap.self, .post, "/api/v1/taps/\(created.tap.id)/approve", token: cast.ada,
                                                json: ApprovalDecisionRequest(reason: "change 4711"))
            #expect(approved.state == .active)
            #expect(approved.approval?.state == .approved)
            #expect(approved.approval?.approver == "ada")
            let decidedAt = try #require(approved.approval?.decidedAt)
            #expect(decidedAt >= before.addingTimeInterval(-1))
            #expect(approved.deadline == decidedAt.addingTimeInterval(600))
            let stored = try #require(try await controlPlane.store.findTap(id: created.tap.id))
            #expect(stored.approval == approved.approval && stored.deadline == approved.deadline)
            let events = try await cast.auditActions(api, created.tap.id)
            #expect(events.map(\.action) == ["tap.created", "tap.approval_requested", "tap.approved"])
            #expect(events.last?.actor == "ada")
            #expect(events.last?.details["reason"] == "change 4711")
        }
    }

    @Test(arguments: StoreKind.available)
    func theRequesterCannotApproveTheirOwnRequestEvenAsAnAdmin(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let cast = try await Cast.make(api)
            let created = try await cast.request(api)
            // alice becomes an admin while her request waits: it is still hers.
            _ = try await api.expect(User.self, .patch, "/api/v1/users/alice", token: cast.fixture.admin, json: UserPatch(role: .admin))
            let refused = try await api.failure(.post, "/api/v1/taps/\(created.tap.id)/approve", token: cast.fixture.alice)
            #expect(refused.status == 403)
            #expect(refused.error.code == .selfApproval)
            let rejected = try await api.failure(.post, "/api/v1/taps/\(created.tap.id)/reject", token: cast.fixture.alice,
                                                 json: ApprovalDecisionRequest(reason: "mine"))
            #expect(rejected.error.code == .selfApproval)
        }
    }

    @Test(arguments: StoreKind.available)
    func ownersAndAuditorsCannotApprove(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let cast = try await Cast.make(api)
            let created = try await cast.request(api)
            for token in [cast.fixture.alice, cast.fixture.carol, cast.fixture.audrey] {
                let refused = try await api.failure(.post, "/api/v1/taps/\(created.tap.id)/approve", token: token)
                #expect(refused.status == 403)
                #expect(refused.error.code == .forbidden)
            }
            let bob = try await api.failure(.post, "/api/v1/taps/\(created.tap.id)/approve", token: cast.fixture.bob)
            #expect(bob.status == 404)
        }
    }

    @Test(arguments: StoreKind.available)
    func rejectionEndsTheTapRejectedAndIsAuditedWithItsReasonAndApprover(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let cast = try await Cast.make(api)
            let created = try await cast.request(api)
            let rejected = try await api.expect(Tap.self, .post, "/api/v1/taps/\(created.tap.id)/reject", token: cast.ada,
                                                json: ApprovalDecisionRequest(reason: "no full payload for db traffic"))
            #expect(rejected.state == .rejected)
            #expect(rejected.endedAt != nil)
            #expect(rejected.approval?.state == .rejected)
            #expect(rejected.approval?.approver == "ada")
            #expect(rejected.approval?.reason == "no full payload for db traffic")
            let event = try #require(try await cast.auditActions(api, created.tap.id).last)
            #expect(event.action == "tap.rejected")
            #expect(event.actor == "ada")
            #expect(event.details["reason"] == "no full payload for db traffic")
            let again = try await api.failure(.post, "/api/v1/taps/\(created.tap.id)/approve", token: cast.ada)
            #expect(again.error.code == .invalidState)
        }
    }

    @Test(arguments: StoreKind.available)
    func aRejectionNeedsAReason(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let cast = try await Cast.make(api)
            let created = try await cast.request(api)
            let refused = try await api.failure(.post, "/api/v1/taps/\(created.tap.id)/reject", token: cast.ada, json: ApprovalDecisionRequest())
            #expect(refused.status == 400)
            #expect(refused.error.field == "reason")
        }
    }

    @Test(arguments: StoreKind.available)
    func anUnansweredRequestExpiresOnceAudited(kind: StoreKind) async throws {
        try await TestServer.run(kind, approvalTimeout: TapDuration(seconds: 1)) { api, controlPlane in
            let cast = try await Cast.make(api)
            let created = try await cast.request(api)
            let expired = try await eventually(timeout: .seconds(30), "the request to expire") {
                let tap = try await controlPlane.store.findTap(id: created.tap.id)
                return tap?.state == .expired ? tap : nil
            }
            #expect(expired.approval?.state == .expired)
            #expect(expired.approval?.approver == nil)
            let events = try await cast.auditActions(api, created.tap.id)
            #expect(events.map(\.action) == ["tap.created", "tap.approval_requested", "tap.expired"])
            #expect(events.last?.details["approval"] == "expired unanswered")
            #expect(try await controlPlane.taps.expireDueTaps().isEmpty, "expired once")
        }
    }

    /// A request past its expiry the scheduler has not marked yet (the server was down, or its next round has not come):
    /// a second control plane on the same database, its clock two hours on and no scheduler running, is asked to decide it.
    static func decideExpiredUnmarked(_ kind: StoreKind, _ decide: @escaping @Sendable (TapService, Principal, String) async throws -> Tap) async throws {
        try await TestServer.slots.run { try await TestDatabase.with(kind) { database in
            let (id, ada) = try await TestServer.serve(database.store) { api, _ in
                let cast = try await Cast.make(api)
                return (try await cast.request(api).tap.id, cast.ada)
            }
            let later: @Sendable () -> Date = { Date().addingTimeInterval(7200) }
            let controlPlane = ControlPlane(store: database.store, clock: later, passwordCost: TestServer.passwordCost, logger: TestServer.logger)
            let approver = try await controlPlane.identity.authenticate(token: ada).principal
            let deadline = try #require(try await database.store.findTap(id: id)).deadline
            #expect(deadline < later())
            await #expect {
                _ = try await decide(controlPlane.taps, approver, id)
            } throws: { error in
                guard let error = error as? TapsterError else { return false }
                return error.code == .invalidState
                    && error.message.contains("expired unanswered at \(TapsterJSON.formatTime(deadline))")
            }
            let stored = try #require(try await database.store.findTap(id: id))
            #expect(stored.state == .pending && stored.approval?.state == .pending, "nothing decided; the scheduler expires it")
            #expect(try await database.store.auditEvents(AuditQuery(action: AuditAction.tapApproved)).isEmpty)
            #expect(try await database.store.auditEvents(AuditQuery(action: AuditAction.tapRejected)).isEmpty)
        } }
    }

    @Test(arguments: StoreKind.available)
    func approvingARequestPastItsExpiryNotYetMarkedIsRefused409(kind: StoreKind) async throws {
        try await Self.decideExpiredUnmarked(kind) { taps, approver, id in try await taps.approveTap(approver, id) }
    }

    @Test(arguments: StoreKind.available)
    func rejectingARequestPastItsExpiryNotYetMarkedIsRefused409(kind: StoreKind) async throws {
        try await Self.decideExpiredUnmarked(kind) { taps, approver, id in
            try await taps.rejectTap(approver, id, ApprovalDecisionRequest(reason: "too late"))
        }
    }

    @Test(arguments: StoreKind.available)
    func approvalForFullPayloadMakesRequiredTheDefaultOfGrantsThatSayNothing(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let cast = try await Cast.make(api, approval: nil)
            #expect(try await cast.request(api).tap.state == .active, "off by default")
            let settings = try await api.expect(ApprovalSettings.self, .put, "/api/v1/policy/approval", token: cast.fixture.admin,
                                                json: ApprovalSettings(approvalForFullPayload: true))
            #expect(settings.approvalForFullPayload)
            #expect(try await cast.request(api).tap.state == .pending, "a full-payload target, a grant that says nothing")
            _ = try await api.expect(Target.self, .post, "/api/v1/targets", token: cast.fixture.admin, json: TargetSpec(
                name: "headers-tool", kind: .erspan, destination: try IPAddress(parsing: "192.0.2.41"), sessionId: 44,
                payload: .headers(snaplen: 128)))
            _ = try await api.expect(Grant.self, .post, "/api/v1/grants", token: cast.fixture.admin, json: GrantSpec(
                user: "alice", filter: "web-to-db", target: "headers-tool", maxDuration: try TapDuration(parsing: "1h")))
            let headers = try await api.expect(TapView.self, .post, "/api/v1/taps", token: cast.fixture.alice,
                                               json: TapRequest(filter: "web-to-db", target: "headers-tool", duration: TapDuration(seconds: 60)))
            #expect(headers.tap.state == .active, "headers only: no approval")
            let admins = try await api.expect(TapView.self, .post, "/api/v1/taps", token: cast.ada,
                                              json: TapRequest(filter: "web-to-db", target: "payload-tool", duration: TapDuration(seconds: 60)))
            #expect(admins.tap.state == .active, "admins' own taps need no approval")
        }
    }

    @Test(arguments: StoreKind.available)
    func aGrantSayingNoneOverridesThePolicy(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let cast = try await Cast.make(api, approval: ApprovalRequirement.none)
            _ = try await api.expect(ApprovalSettings.self, .put, "/api/v1/policy/approval", token: cast.fixture.admin,
                                     json: ApprovalSettings(approvalForFullPayload: true))
            #expect(try await cast.request(api).tap.state == .active)
        }
    }

    @Test(arguments: StoreKind.available)
    func aCaptureThroughAGrantRequiringApprovalIsRefused(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let cast = try await Cast.make(api)
            _ = try await api.expect(Target.self, .post, "/api/v1/targets", token: cast.fixture.admin,
                                     json: TargetSpec(name: "live", kind: .stream))
            _ = try await api.expect(Grant.self, .post, "/api/v1/grants", token: cast.fixture.admin, json: GrantSpec(
                user: "alice", filter: "web-to-db", target: "live", maxDuration: try TapDuration(parsing: "1h"), approval: .required))
            let refused = try await api.failure(.post, "/api/v1/captures", token: cast.fixture.alice,
                                                json: CaptureRequest(filter: "web-to-db", target: "live", duration: TapDuration(seconds: 60)))
            #expect(refused.status == 409)
            #expect(refused.error.code == .approvalRequired)
        }
    }
}
