import Foundation
import GRPCCore
import HTTPTypes
import SwiftProtobuf
import Testing
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterSystemTestSupport
import TapsterTestSupport
import TapsterWire

/// An agent writes only into the captures and tap statuses planned for it: two real enrolled agents,
/// `node-1` (alice's `web-1` is on it, so her capture is planned for it) and `node-3` (nothing planned).
@Suite struct AgentReportEntitlementTests {
    /// The fixture, a `live` stream target granted to alice, her capture (of `web-to-db`: planned for
    /// node-1 and node-2) and both agents, enrolled through the real enrolment path.
    struct Rig: Sendable {
        let harness: AgentHarness
        let fixture: Fixture
        let captureID: String
        let planned: TestAgent
        let stranger: TestAgent

        static func run(_ kind: StoreKind, _ body: @Sendable (Rig) async throws -> Void) async throws {
            try await AgentHarness.run(kind) { harness in
                let fixture = try await Fixture.make(harness.api)
                _ = try await harness.api.expect(Target.self, .post, "/api/v1/targets", token: fixture.admin,
                                                 json: TargetSpec(name: "live", kind: .stream))
                _ = try await harness.api.expect(Grant.self, .post, "/api/v1/grants", token: fixture.admin, json: GrantSpec(
                    user: "alice", filter: "web-to-db", target: "live", maxDuration: try TapDuration(parsing: "1h")))
                let planned = try await harness.enrolledAgent("node-1")
                let stranger = try await harness.enrolledAgent("node-3")
                let capture = try await harness.api.expect(CaptureView.self, .post, "/api/v1/captures", token: fixture.alice,
                                                           json: CaptureRequest(duration: TapDuration(seconds: 600))).capture
                try await body(Rig(harness: harness, fixture: fixture, captureID: capture.id, planned: planned, stranger: stranger))
            }
        }

        /// A batch of one packet on interface 0 for `captureID`, describing `interfaces` interfaces.
        func batch(from host: String, interfaces: Int = 1) throws -> Tapster_Agent_V1_PacketBatch {
            var agent = SyntheticAgent(host: host, captureID: captureID, interfaces: (0..<interfaces).map {
                .init(index: UInt32($0), name: "\(host)/web-1/eth\($0)")
            })
            let now = Date().unixNanoseconds
            return try agent.batch((0..<interfaces).map { (interface: UInt32($0), timestamp: now, frame: SyntheticAgent.frame(host: 1, number: 1)) })
        }

        /// The agents whose interfaces the capture holds.
        func agentsInCapture() async -> [String] {
            guard let session = await harness.controlPlane.broker.session(captureID) else { return [] }
            return await Set(session.summary(at: Date()).interfaces.map(\.agent)).sorted()
        }

        func refusals() async throws -> [AuditEvent] {
            try await harness.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&action=agent.report_refused",
                                         token: TestServer.adminToken).items
        }
    }

    @Test(arguments: StoreKind.available)
    func aBurstOfRefusedReportsOfOneAgentIsOneAuditEvent(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            for _ in 1...4 {
                let upload = try rig.stranger.upload()
                upload.send(try rig.batch(from: "node-3"))
                #expect(Self.rpcError(try await upload.ended())?.code == .permissionDenied)
            }
            #expect(try await rig.refusals().count == 1, "the repeats are counted for the next event, not each written")
        }
    }

    @Test(arguments: StoreKind.available)
    func anAgentCannotUploadIntoACapturePlannedForAnother(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let upload = try rig.stranger.upload()
            upload.send(try rig.batch(from: "node-3"))

            let outcome = try await upload.ended()

            let error = try #require(Self.rpcError(outcome))
            #expect(error.code == .permissionDenied)
            #expect(error.message == "capture \(rig.captureID) is not planned for agent node-3: it may not send packets for it")
            #expect(await rig.agentsInCapture() == [])
            let refusals = try await rig.refusals()
            #expect(refusals.map(\.actor) == ["agent/node-3"])
            #expect(refusals.first?.details["kind"] == "packets")
            #expect(refusals.first?.details["tap"] == rig.captureID)
        }
    }

    @Test(arguments: StoreKind.available)
    func thePlannedAgentUploadsIntoItsCapture(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let upload = try rig.planned.upload()
            upload.send(try rig.batch(from: "node-1"))

            let receipt = try await upload.finish().get()

            #expect(receipt.batches == 1)
            #expect(await rig.agentsInCapture() == ["node-1"])
            #expect(try await rig.refusals().isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func aBatchDescribingMoreInterfacesThanPlannedSourcesIsRefused(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let upload = try rig.planned.upload()
            upload.send(try rig.batch(from: "node-1", interfaces: 2))

            let error = try #require(Self.rpcError(try await upload.ended()))

            #expect(error.code == .invalidArgument)
            #expect(error.message == "agent node-1 described 2 interfaces for capture \(rig.captureID), more than the 1 sources planned for it")
            #expect(await rig.agentsInCapture() == [])
        }
    }

    @Test(arguments: StoreKind.available)
    func anAgentCannotReportTheStatusOfATapPlannedForAnother(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let channel = try rig.stranger.connect()
            _ = try await channel.desired()
            channel.send(.with {
                $0.status = .with { $0.taps = [.with { $0.tapID = rig.captureID; $0.state = .failed; $0.reason = "forged"; $0.packets = 99 }] }
            })

            let error = try #require(try await channel.ended() as? RPCError)

            #expect(error.code == .permissionDenied)
            #expect(error.message == "tap \(rig.captureID) is not planned for agent node-3: it may not report its status")
            let statuses = try await rig.harness.controlPlane.store.tapAgentStatuses(tapID: rig.captureID)
            #expect(!statuses.contains { $0.agent == "node-3" })
            let refusals = try await rig.refusals()
            #expect(refusals.map(\.actor) == ["agent/node-3"])
            #expect(refusals.first?.details["kind"] == "status")
        }
    }

    /// A recorder's status from `name`'s agent, holding `bytes`, with `failures`.
    static func recorderStatus(_ name: String, bytes: UInt64, failures: [String] = []) -> Tapster_Agent_V1_RecorderStatus {
        .with {
            $0.name = name
            $0.bytesHeld = bytes
            $0.bytesReserved = 64 << 20
            $0.sources = 1
            $0.failures = failures
        }
    }

    @Test(arguments: StoreKind.available)
    func anAgentReportsOnlyTheRecordersPlannedForIt(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let api = rig.harness.api
            _ = try await api.expect(RecorderView.self, .post, "/api/v1/recorders", token: rig.fixture.admin, json: RecorderSpec(
                name: "web-recorder", filter: "web-to-db", window: TapDuration(seconds: 30), maxBytes: 64 << 20))
            let fleet = rig.harness.controlPlane.fleet

            // node-3 is planned no recorder: its report of node-1's recorder, and of one that does not exist, is dropped.
            var forged = Tapster_Agent_V1_StatusReport()
            forged.recorders = [Self.recorderStatus("web-recorder", bytes: 666), Self.recorderStatus("made-up", bytes: 777)]
            try await fleet.reportStatus("node-3", forged)
            // node-1 runs it: its report is kept, over its control channel, with its failures capped.
            let channel = try rig.planned.connect()
            _ = try await channel.desired()
            let failures = (0..<200).map { "eth\($0): " + String(repeating: "x", count: 2_000) }
            channel.send(.with { $0.status = .with { $0.recorders = [Self.recorderStatus("web-recorder", bytes: 12 << 20, failures: failures)] } })

            let view = try await eventually("node-1's recorder status") {
                let view = try await api.expect(RecorderView.self, .get, "/api/v1/recorders/web-recorder", token: rig.fixture.admin)
                return view.hosts.isEmpty ? nil : view
            }
            #expect(view.hosts.map(\.host) == ["node-1"])
            let kept = try #require(view.hosts.first)
            #expect(kept.bytesHeld == 12 << 20)
            #expect(kept.failures.count == RecorderStatuses.maxFailures)
            #expect(kept.failures.dropLast().allSatisfy { $0.count == RecorderStatuses.maxFailureLength + 1 && $0.hasPrefix("eth") })
            #expect(kept.failures.last == "(+\(200 - RecorderStatuses.maxFailures + 1) more)")

            let metrics = try await api.call(.get, "/metrics", token: TestServer.adminToken).text
            let recorderLines = metrics.split(separator: "\n").filter { $0.hasPrefix("tapster_recorder_") }
            #expect(recorderLines.contains("tapster_recorder_bytes_held{recorder=\"web-recorder\",host=\"node-1\"} \(12 << 20)"), "\(metrics)")
            #expect(!recorderLines.contains { $0.contains("node-3") || $0.contains("made-up") }, "\(metrics)")
            #expect(fleet.recorderStatuses.hosts(of: "made-up", at: Date()).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func revokingAnAgentEndsItsOpenUploadStream(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let upload = try rig.planned.upload()
            upload.send(try rig.batch(from: "node-1"))
            _ = try await eventually("node-1's batch in the capture") { await rig.agentsInCapture() == ["node-1"] ? true : nil }

            try await rig.harness.api.call(.post, "/api/v1/agents/node-1/revoke", token: TestServer.adminToken).expectStatus(200)

            let error = try #require(Self.rpcError(try await upload.ended(timeout: .seconds(30))))
            #expect(error.code == .permissionDenied)
            #expect(error.message == "agent node-1 was revoked by admin")
        }
    }

    static func rpcError(_ outcome: Result<Tapster_Agent_V1_PacketReceipt, any Error>) -> RPCError? {
        if case .failure(let error) = outcome { return error as? RPCError }
        return nil
    }
}
