import Foundation
import HTTPTypes
import TapsterAPI
import TapsterCore
import TapsterObjectStore
@testable import TapsterServer
import TapsterStore
import TapsterSystemTestSupport
import TapsterTestSupport
import Testing

/// Four-eyes approval of stored captures, on every store: through a grant that requires approval, a stored capture
/// is created `pending` with its tap (in the approval queue, sent to no agent, no session, no object) and starts when
/// another admin approves it — its deadline counted from the approval — or ends `failed` when rejected or unanswered.
/// A streamed capture through such a grant is still refused, pointing at `--store`.
@Suite struct StoredCaptureApprovalTests {
    /// The capture rig (``CaptureAPITests/Rig``: alice's `live` and `archive` grants, a capture store, a test clock), plus
    /// a store target `vault` and a stream target `wire` that alice may use with filter `web-to-db` only with an admin's
    /// approval, and a second admin `ada`.
    struct Cast: Sendable {
        let rig: CaptureAPITests.Rig
        let ada: String

        static func run(_ kind: StoreKind, _ body: @Sendable (Cast) async throws -> Void) async throws {
            try await CaptureAPITests.Rig.run(kind) { rig in
                try await body(try await make(rig))
            }
        }

        static func make(_ rig: CaptureAPITests.Rig) async throws -> Cast {
            let api = rig.api, admin = rig.fixture.admin
            _ = try await api.expect(Target.self, .post, "/api/v1/targets", token: admin,
                                     json: TargetSpec(name: "vault", kind: .store, retention: try TapDuration(parsing: "1h")))
            _ = try await api.expect(Target.self, .post, "/api/v1/targets", token: admin, json: TargetSpec(name: "wire", kind: .stream))
            for target in ["vault", "wire"] {
                _ = try await api.expect(Grant.self, .post, "/api/v1/grants", token: admin, json: GrantSpec(
                    user: "alice", filter: "web-to-db", target: target, maxDuration: try TapDuration(parsing: "1h"), approval: .required))
            }
            _ = try await api.expect(User.self, .post, "/api/v1/users", token: admin,
                                     json: UserCreateRequest(name: "ada", role: .admin, password: "password-of-ada"))
            let ada = try await api.expect(IssuedToken.self, .post, "/api/v1/users/ada/tokens", token: admin, json: TokenRequest(name: "test")).token
            return Cast(rig: rig, ada: ada)
        }

        /// alice's stored capture through `vault`, for 10 minutes.
        func request() async throws -> CaptureView {
            try await rig.create(CaptureRequest(filter: "web-to-db", target: "vault", duration: TapDuration(seconds: 600), store: true))
        }

        func events(_ id: String) async throws -> [AuditEvent] {
            try await rig.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&object=\(id)", token: rig.fixture.admin).items
        }

        /// The plans of two connected agents, `node-1` and `node-2` (the hosts of the filter's workloads), as the agent
        /// hub would compute them from the store now.
        func plannedTaps() async throws -> [String: [DesiredTap]] {
            let model = try await PlanningModel.load(from: rig.controlPlane.store)
            var inputs = model.inputs(now: rig.clock.now, tunnelKeySecret: try await TunnelKeys.secret(in: rig.controlPlane.store))
            inputs.agents = ["node-1", "node-2"].map { Agent(name: $0, state: .connected, createdAt: Date()) }
            return DesiredTapsPlanner.plan(inputs).mapValues(\.taps)
        }

        func ended(_ id: String) async throws -> Capture {
            try await eventually(timeout: .seconds(30), "capture \(id) to end") {
                let capture = try await rig.capture(id)
                return capture.state == .pending || capture.state == .live ? nil : capture
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func aStoredCaptureWaitsReachingNoAgentThenAnotherAdminsApprovalStartsItWithItsDeadlineFromTheApproval(kind: StoreKind) async throws {
        try await Cast.run(kind) { cast in
            let rig = cast.rig
            let created = try await cast.request()
            let id = created.capture.id
            #expect(created.capture.state == .pending && created.capture.mode == .store)
            #expect(created.capture.objectKey == nil && created.capture.expiresAt == nil)
            #expect(created.warnings.contains { $0.contains("requires an admin's approval") && $0.contains(id) })
            let tap = try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(id)", token: rig.fixture.alice)
            #expect(tap.state == .pending && tap.approval?.state == .pending && tap.capture?.mode == .store)
            #expect(created.capture.deadline == tap.deadline, "while it waits, its deadline is the request's expiry")
            // In the approval queue, as the stored capture it is.
            let queue = try await rig.api.expect(ItemList<Tap>.self, .get, "/api/v1/taps?state=pending", token: cast.ada).items
            #expect(queue.map(\.id) == [id] && queue.first?.capture?.mode == .store)
            let pendingCaptures = try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures?state=pending", token: rig.fixture.alice).items
            #expect(pendingCaptures.map(\.id) == [id])
            // Nothing runs: no agent's plan has it, no session, no object.
            #expect(try await cast.plannedTaps().values.allSatisfy { $0.allSatisfy { $0.tapID != id } })
            #expect(await rig.controlPlane.broker.session(id) == nil)
            #expect(try await rig.objectStore.list(prefix: "").isEmpty)

            rig.clock.advance(by: 120)
            let approved = try await rig.api.expect(Tap.self, .post, "/api/v1/taps/\(id)/approve", token: cast.ada,
                                                    json: ApprovalDecisionRequest(reason: "change 4711"))
            let decidedAt = try #require(approved.approval?.decidedAt)
            #expect(approved.state == .active && approved.deadline == decidedAt.addingTimeInterval(600))
            // Live in the store first (the compare-and-set that starts it exactly once), then its session begins.
            let live = try await eventually(timeout: .seconds(30), "the approved capture to go live with its session") {
                let capture = try await rig.capture(id)
                let session = await rig.controlPlane.broker.session(id)
                return capture.state == .live && session != nil ? capture : nil
            }
            #expect(live.deadline == approved.deadline, "the deadline counts from the approval")
            #expect(live.objectKey == "shop/\(id).pcapng")
            let planned = try await cast.plannedTaps()
            #expect(Set(planned.filter { $0.value.contains { $0.tapID == id } }.keys) == ["node-1", "node-2"])
            #expect(planned["node-1"]?.first { $0.tapID == id }?.deadline == approved.deadline)

            try await rig.sendTwoHosts(id)
            let complete = try await cast.ended(id)
            #expect(complete.state == .complete && complete.packets == 60)
            #expect(try await rig.objectStore.list(prefix: "").map(\.key) == ["shop/\(id).pcapng"])
            let actions = try await cast.events(id).map(\.action)
            #expect(actions.prefix(4) == ["tap.created", "tap.approval_requested", "capture.created", "tap.approved"])
            #expect(actions.filter { $0 == AuditAction.captureStopped }.count == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func aRejectedStoredCaptureEndsWithTheReasonAuditedOnceNeverHavingStarted(kind: StoreKind) async throws {
        try await Cast.run(kind) { cast in
            let id = try await cast.request().capture.id
            _ = try await cast.rig.api.expect(Tap.self, .post, "/api/v1/taps/\(id)/reject", token: cast.ada,
                                              json: ApprovalDecisionRequest(reason: "no full payload of the db tier"))
            let ended = try await cast.ended(id)
            #expect(ended.state == .failed && ended.endReason == .rejected)
            #expect(ended.failureReason == "rejected by ada: no full payload of the db tier")
            #expect(ended.objectKey == nil && ended.packets == 0)
            // Settled once, whoever reads it again (a resync, a restart).
            await cast.rig.controlPlane.captures.settlePendingCapture(id)
            let stops = try await cast.events(id).filter { $0.action == AuditAction.captureStopped }
            #expect(stops.count == 1)
            #expect(stops.first?.details["reason"] == "rejected" && stops.first?.actor == "system")
            #expect(await cast.rig.controlPlane.broker.session(id) == nil)
            #expect(try await cast.rig.objectStore.list(prefix: "").isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func anUnansweredStoredCaptureEndsExpiredNeverHavingReachedAnAgent(kind: StoreKind) async throws {
        try await Cast.run(kind) { cast in
            let rig = cast.rig
            let id = try await cast.request().capture.id
            #expect(try await cast.plannedTaps().values.allSatisfy { $0.allSatisfy { $0.tapID != id } })
            rig.clock.advance(by: 3601)
            #expect(try await rig.controlPlane.taps.expireDueTaps().map(\.id).contains(id))
            let ended = try await cast.ended(id)
            #expect(ended.state == .failed && ended.endReason == .approvalExpired)
            #expect(ended.failureReason?.hasPrefix("expired unanswered") == true)
            #expect(try await cast.events(id).filter { $0.action == AuditAction.captureStopped }.count == 1)
            #expect(await rig.controlPlane.broker.session(id) == nil)
            #expect(try await rig.objectStore.list(prefix: "").isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingAPendingStoredCaptureWithdrawsItsRequest(kind: StoreKind) async throws {
        try await Cast.run(kind) { cast in
            let id = try await cast.request().capture.id
            #expect(try await cast.rig.api.call(.delete, "/api/v1/captures/\(id)", token: cast.rig.fixture.alice).status == 204)
            let capture = try await cast.rig.capture(id)
            #expect(capture.state == .deleted && capture.endReason == .stopped)
            #expect(try await cast.rig.api.expect(Tap.self, .get, "/api/v1/taps/\(id)", token: cast.rig.fixture.alice).state == .stopped)
            #expect(try await cast.rig.api.failure(.post, "/api/v1/taps/\(id)/approve", token: cast.ada).error.code == .invalidState)
        }
    }

    @Test(arguments: StoreKind.available)
    func aStreamedCaptureThroughSuchAGrantIsStillRefusedPointingAtStore(kind: StoreKind) async throws {
        try await Cast.run(kind) { cast in
            let refused = try await cast.rig.api.failure(.post, "/api/v1/captures", token: cast.rig.fixture.alice,
                                                         json: CaptureRequest(filter: "web-to-db", target: "wire", duration: TapDuration(seconds: 60)))
            #expect(refused.status == 409 && refused.error.code == .approvalRequired)
            #expect(refused.error.message.contains("store the capture instead (tapster capture --store"))
            #expect(try await cast.rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: cast.rig.fixture.alice).items.isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func anOwnerOfAnotherTenantNeitherSeesNorDecidesIt(kind: StoreKind) async throws {
        try await Cast.run(kind) { cast in
            let api = cast.rig.api, f = cast.rig.fixture
            let id = try await cast.request().capture.id
            #expect(try await api.failure(.get, "/api/v1/captures/\(id)", token: f.bob).status == 404)
            #expect(try await api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: f.bob).items.isEmpty)
            #expect(try await api.expect(ItemList<Tap>.self, .get, "/api/v1/taps?state=pending", token: f.bob).items.isEmpty)
            #expect(try await api.failure(.post, "/api/v1/taps/\(id)/approve", token: f.bob).status == 404)
            #expect(try await api.failure(.post, "/api/v1/taps/\(id)/reject", token: f.bob,
                                          json: ApprovalDecisionRequest(reason: "not mine")).status == 404)
            #expect(try await api.failure(.delete, "/api/v1/captures/\(id)", token: f.bob).status == 404)
            // An owner of its tenant sees it, but only an admin decides.
            #expect(try await cast.rig.capture(id, f.carol).state == .pending)
            #expect(try await api.failure(.post, "/api/v1/taps/\(id)/approve", token: f.carol).error.code == .forbidden)
            #expect(try await cast.rig.capture(id).state == .pending)
        }
    }

    /// The portal: the queue shows the request as the stored capture it is, the owner's Captures page says it waits,
    /// and the console's Approve button starts it.
    @Test func thePortalsQueueShowsAStoredCaptureAndItsApproveButtonStartsIt() async throws {
        try await Cast.run(.sqlite) { cast in
            let rig = cast.rig
            let id = try await cast.request().capture.id
            let ada = try await CapturePageTests.session("ada", rig)
            let queue = try await FlowMapPageTests.get("/admin/approvals", session: ada, rig.api)
            #expect(queue.status == 200 && queue.text.contains(#"<tr data-tap="\#(id)">"#))
            #expect(queue.text.contains(#"<span class="sub" data-field="capture">stored capture \#(id)</span>"#))
            let mine = try await FlowMapPageTests.get("/captures", session: try await CapturePageTests.session("alice", rig), rig.api)
            #expect(mine.text.contains(#"<tr data-capture="\#(id)">"#) && mine.text.contains("pending") && mine.text.contains("waiting for an admin"))
            let pressed = try await CapturePageTests.post("/admin/approvals/\(id)/approve", session: ada, rig.api)
            #expect(pressed.status == 303)
            _ = try await eventually(timeout: .seconds(30), "the approved capture to go live") {
                try await rig.capture(id).state == .live ? true : nil
            }
        }
    }

    /// The server restarts while the capture waits: the new run watches it again and starts it on approval.
    @Test(arguments: StoreKind.available)
    func aPendingStoredCaptureSurvivesARestartAndStartsOnApproval(kind: StoreKind) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapster-captures-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let objectStore = FilesystemObjectStore(root: directory)
        let clock = TestClock()
        // Agents that all ended by themselves end the capture after 300 ms, the drain grace (not the 10 s rejoin wait).
        let settings = { () -> CaptureSettings in
            var settings = CaptureSettings(readerGrace: .seconds(20), drainGrace: .milliseconds(300), objectStore: objectStore,
                                           sweepInterval: .milliseconds(100))
            settings.rejoinGrace = .milliseconds(300)
            return settings
        }()
        try await TestServer.slots.run { try await TestDatabase.with(kind) { database in
            let (id, fixture, ada) = try await TestServer.serve(database.store, clock: { clock.now }, captures: settings) { api, controlPlane in
                let fixture = try await Fixture.make(api)
                let cast = try await Cast.make(CaptureAPITests.Rig(api: api, controlPlane: controlPlane, fixture: fixture, clock: clock,
                                                                   objectStore: objectStore))
                return (try await cast.request().capture.id, fixture, cast.ada)
            }
            try await TestServer.serve(database.store, clock: { clock.now }, captures: settings) { api, controlPlane in
                let rig = CaptureAPITests.Rig(api: api, controlPlane: controlPlane, fixture: fixture, clock: clock, objectStore: objectStore)
                #expect(try await rig.capture(id).state == .pending, "a capture waiting for approval is not an orphan")
                _ = try await eventually(timeout: .seconds(30), "the restarted broker to watch it") {
                    await controlPlane.broker.awaitingApproval.contains(id) ? true : nil
                }
                _ = try await api.expect(Tap.self, .post, "/api/v1/taps/\(id)/approve", token: ada)
                _ = try await eventually(timeout: .seconds(30), "the approved capture to go live with its session") {
                    let session = await controlPlane.broker.session(id)
                    return try await rig.capture(id).state == .live && session != nil ? true : nil
                }
                try await rig.sendTwoHosts(id)
                let complete = try await eventually(timeout: .seconds(30), "the capture to complete") {
                    let capture = try await rig.capture(id)
                    return capture.state == .complete ? capture : nil
                }
                #expect(complete.packets == 60)
            }
        } }
    }

    /// The look-back of a capture that waited for approval reaches back from the approval, not from the request.
    @Test func theLookBackOfAnApprovedCaptureCountsFromTheApproval() throws {
        let requested = Date(timeIntervalSince1970: 1_800_000_000)
        var tap = Tap(tenant: "shop", owner: "alice", filter: "web-to-db", target: "vault", duration: TapDuration(seconds: 600),
                      createdAt: requested, capture: {
                          var narrowing = CaptureNarrowing(mode: .store)
                          narrowing.before = TapDuration(seconds: 30)
                          return narrowing
                      }())
        tap.state = .pending
        tap.approval = TapApproval(requestedAt: requested)
        #expect(DesiredTapsPlanner.lookBackSince(of: tap) == UInt64(requested.timeIntervalSince1970 - 30) * 1_000_000_000)
        let approved = try tap.applying(.approve(approver: "ada", approverID: "id-of-ada", reason: nil), at: requested.addingTimeInterval(900))
        #expect(DesiredTapsPlanner.lookBackSince(of: approved) == UInt64(requested.timeIntervalSince1970 + 900 - 30) * 1_000_000_000)
    }
}
