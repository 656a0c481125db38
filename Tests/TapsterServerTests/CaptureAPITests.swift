import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PacketKit
import TapsterClient
import TapsterAPI
import TapsterCore
import TapsterObjectStore
@testable import TapsterServer
import TapsterSystemTestSupport
import TapsterStore
import TapsterTestSupport
import Testing

/// Captures through the native API, on every store: policy, the live stream over real HTTP, stored
/// captures and their signed downloads, deletion and retention.
@Suite struct CaptureAPITests {
    /// The fixture's cast, plus `live` (a stream target with 128-byte payload) and `archive` (a store
    /// target kept 1h), both granted to alice with filter `web-to-db` for up to 1h; a capture store in a
    /// temporary directory; a test clock.
    struct Rig: Sendable {
        let api: API
        let controlPlane: ControlPlane
        let fixture: Fixture
        let clock: TestClock
        let objectStore: FilesystemObjectStore

        static func run(_ kind: StoreKind, objectStore: Bool = true, _ body: @Sendable (Rig) async throws -> Void) async throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapster-captures-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = FilesystemObjectStore(root: directory)
            let clock = TestClock()
            // Agents that all ended by themselves end the capture after 300 ms, the drain grace (not the 10 s rejoin wait).
            let settings = { () -> CaptureSettings in
                var settings = CaptureSettings(readerGrace: .seconds(20), drainGrace: .milliseconds(300), objectStore: objectStore ? store : nil,
                                               sweepInterval: .milliseconds(100))
                settings.rejoinGrace = .milliseconds(300)
                return settings
            }()
            try await TestServer.run(kind, clock: { clock.now }, captures: settings) { api, controlPlane in
                let fixture = try await Fixture.make(api)
                let admin = fixture.admin
                _ = try await api.expect(Target.self, .post, "/api/v1/targets", token: admin,
                                         json: TargetSpec(name: "live", kind: .stream, payload: .headers(snaplen: 128)))
                _ = try await api.expect(Target.self, .post, "/api/v1/targets", token: admin,
                                         json: TargetSpec(name: "archive", kind: .store, retention: try TapDuration(parsing: "1h")))
                for target in ["live", "archive"] {
                    _ = try await api.expect(Grant.self, .post, "/api/v1/grants", token: admin, json: GrantSpec(
                        user: "alice", filter: "web-to-db", target: target, maxDuration: try TapDuration(parsing: "1h")))
                }
                try await body(Rig(api: api, controlPlane: controlPlane, fixture: fixture, clock: clock, objectStore: store))
            }
        }

        func create(_ request: CaptureRequest = CaptureRequest(duration: TapDuration(seconds: 600)), token: String? = nil) async throws -> CaptureView {
            try await api.expect(CaptureView.self, .post, "/api/v1/captures", token: token ?? fixture.alice, json: request)
        }

        /// A client of the live server over real HTTP, as the CLI uses it.
        func client(_ token: String) throws -> APIClient {
            APIClient(server: "http://127.0.0.1:\(try #require(api.client.port))", token: token)
        }

        /// Waits until the capture's stream has its reader.
        func readerAttached(_ id: String) async throws {
            _ = try await eventually("the stream's reader to attach") {
                guard let session = await controlPlane.broker.session(id) else { return nil as Bool? }
                return await session.reader == .attached ? true : nil
            }
        }

        /// Two hosts' packets (30 each) and their last batches, as the agents would send them.
        func sendTwoHosts(_ id: String) async throws {
            var node1 = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-1/eth0")])
            var node2 = SyntheticAgent(host: "node-2", captureID: id, interfaces: [.init(index: 0, name: "node-2/web-2/eth0")])
            let t0 = clock.now.unixNanoseconds
            let one = (0..<30).map { (interface: UInt32(0), timestamp: t0 + UInt64($0) * 2_000_000, frame: SyntheticAgent.frame(host: 1, number: UInt32($0))) }
            let two = (0..<30).map { (interface: UInt32(0), timestamp: t0 + UInt64($0) * 2_000_000 + 1, frame: SyntheticAgent.frame(host: 2, number: UInt32($0))) }
            await controlPlane.broker.ingest(agent: "node-2", batch: try node2.batch(two))
            await controlPlane.broker.ingest(agent: "node-1", batch: try node1.batch(one))
            await controlPlane.broker.ingest(agent: "node-2", batch: try node2.batch([], last: true))
            await controlPlane.broker.ingest(agent: "node-1", batch: try node1.batch([], last: true))
        }

        func capture(_ id: String, _ token: String? = nil) async throws -> Capture {
            try await api.expect(Capture.self, .get, "/api/v1/captures/\(id)", token: token ?? fixture.alice)
        }

        func auditActions(_ id: String) async throws -> [String] {
            try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&object=\(id)", token: fixture.admin).items.map(\.action)
        }
    }

    static func blocks(_ bytes: [UInt8]) throws -> (interfaces: [String], packets: Int, statistics: Int) {
        var interfaces: [String] = [], packets = 0, statistics = 0
        for block in try PcapngReader.readAll(bytes) {
            switch block {
            case .interfaceDescription(let interface): interfaces.append(interface.name ?? "")
            case .enhancedPacket: packets += 1
            case .interfaceStatistics: statistics += 1
            default: break
            }
        }
        return (interfaces, packets, statistics)
    }

    // MARK: Policy

    @Test(arguments: StoreKind.available)
    func ownerWithoutAStreamGrantIsNotGranted(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let (status, error) = try await rig.api.failure(.post, "/api/v1/captures", token: rig.fixture.bob, json: CaptureRequest())
            #expect(status == 403)
            #expect(error == TapsterError(.notGranted, "you have no grant to capture with a stream target; ask an admin for one"))
        }
    }

    @Test(arguments: StoreKind.available)
    func durationPastTheGrantIs422(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let (status, error) = try await rig.api.failure(.post, "/api/v1/captures", token: rig.fixture.alice,
                                                            json: CaptureRequest(duration: try TapDuration(parsing: "2h")))
            #expect(status == 422)
            #expect(error.code == .durationExceedsGrant)
        }
    }

    @Test(arguments: StoreKind.available)
    func snaplenAboveThePayloadIsCappedWithAWarning(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await rig.create(CaptureRequest(snaplen: 1500))
            #expect(created.warnings == ["snaplen 1500 is capped to 128, the payload of target \"live\""])
            let tap = try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(created.capture.id)", token: rig.fixture.alice)
            #expect(tap.capture?.snaplen == 128)
        }
    }

    @Test(arguments: StoreKind.available)
    func invalidExpressionIsInvalidBPFWithLibpcapsMessage(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let libpcap = try #require(#expect(throws: BPFCompileError.self) { try BPFProgram.compile("tcp port") }).message
            let (status, error) = try await rig.api.failure(.post, "/api/v1/captures", token: rig.fixture.alice, json: CaptureRequest(bpf: "tcp port"))
            #expect(status == 400)
            #expect(error == TapsterError(.invalidBPF, "bpf: \(libpcap)", field: "bpf"))
        }
    }

    @Test(arguments: StoreKind.available)
    func severalGrantsAreAnErrorListingThemAndTheFilterPicks(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            _ = try await rig.api.expect(FilterView.self, .post, "/api/v1/filters", token: rig.fixture.admin, json: FilterSpec(
                name: "web-only", tenant: "shop", selector: try LabelSelector(parsing: "app=web")))
            _ = try await rig.api.expect(Grant.self, .post, "/api/v1/grants", token: rig.fixture.admin, json: GrantSpec(
                user: "alice", filter: "web-only", target: "live", maxDuration: try TapDuration(parsing: "1h")))
            let (status, error) = try await rig.api.failure(.post, "/api/v1/captures", token: rig.fixture.alice, json: CaptureRequest())
            #expect(status == 422)
            #expect(error == TapsterError(.ambiguousGrant, "several grants allow this capture: filter \"web-only\" with target \"live\", "
                                          + "filter \"web-to-db\" with target \"live\"; choose one with -F FILTER"))
            let picked = try await rig.create(CaptureRequest(filter: "web-only"))
            #expect(picked.capture.filter == "web-only" && picked.capture.target == "live")
        }
    }

    @Test(arguments: StoreKind.available)
    func storedCapturesNeedACaptureStore(kind: StoreKind) async throws {
        try await Rig.run(kind, objectStore: false) { rig in
            let (status, error) = try await rig.api.failure(.post, "/api/v1/captures", token: rig.fixture.alice, json: CaptureRequest(store: true))
            #expect(status == 503 && error.code == .unavailable)
        }
    }

    // MARK: The capture and its tap

    @Test(arguments: StoreKind.available)
    func aCaptureIsALiveTapNarrowedByItsFlagsAndAudited(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await rig.create(CaptureRequest(selector: try LabelSelector(parsing: "app=web"), interface: "eth0", bpf: "host 10.0.0.1",
                                                              count: 10, duration: TapDuration(seconds: 300)))
            let capture = created.capture
            #expect(capture.state == .live && capture.mode == .stream && capture.owner == "alice" && capture.tenant == "shop")
            #expect(capture.filter == "web-to-db" && capture.target == "live" && capture.expiresAt == nil && capture.objectKey == nil)
            let tap = try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(capture.id)", token: rig.fixture.alice)
            #expect(tap.state == .active && tap.deadline == capture.deadline && tap.matchedWorkloads == 2)
            #expect(tap.capture == CaptureNarrowing(mode: .stream, selector: try LabelSelector(parsing: "app=web"), interface: "eth0",
                                                   bpf: "host 10.0.0.1", packetLimit: 10))
            let actions = try await rig.auditActions(capture.id)
            #expect(actions == ["tap.created", "capture.created"])
        }
    }

    @Test(arguments: StoreKind.available)
    func ownersSeeTheirTenantsCapturesOnly(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            let f = rig.fixture
            #expect(try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: f.carol).items.map(\.id) == [id])
            #expect(try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: f.bob).items.isEmpty)
            #expect(try await rig.api.failure(.get, "/api/v1/captures/\(id)", token: f.bob).status == 404)
            #expect(try await rig.api.failure(.get, "/api/v1/captures/\(id)/stream", token: f.bob).status == 404)
            #expect(try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures?state=live", token: f.admin).items.map(\.id) == [id])
            #expect(try await rig.capture(id, f.audrey).id == id)
            #expect(try await rig.api.failure(.get, "/api/v1/captures/\(id)/stream", token: nil).status == 401)
        }
    }

    // MARK: Streaming

    @Test(arguments: StoreKind.available)
    func theStreamEndpointServesTheLiveMergedPcapngOverHTTP(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            let client = try rig.client(rig.fixture.alice)
            defer { Task { await client.shutdown() } }
            let reading = Task {
                var bytes: [UInt8] = []
                try await client.stream("/api/v1/captures/\(id)/stream", accept: "application/x-pcapng") { bytes += $0.readableBytesView }
                return bytes
            }
            try await rig.readerAttached(id)
            try await rig.sendTwoHosts(id)
            let bytes = try await reading.value
            let (interfaces, packets, statistics) = try Self.blocks(bytes)
            #expect(interfaces == ["node-2/web-2/eth0", "node-1/web-1/eth0"], "node-2 sent first")
            #expect(packets == 60 && statistics == 2)
            let capture = try await rig.capture(id)
            #expect(capture.state == .complete && capture.endReason == .agentsFinished)
            #expect(capture.packets == 60 && capture.hosts == ["node-2", "node-1"] && capture.size == Int64(bytes.count))
            let tap = try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(id)", token: rig.fixture.alice)
            #expect(tap.state == .stopped)
            // The end of reading is audited once the response is complete, after the capture's own events.
            let actions = try await eventually("the end of the stream to be audited") {
                let actions = try await rig.auditActions(id)
                return actions.contains("capture.stream_detached") ? actions : nil
            }
            #expect(actions == ["tap.created", "capture.created", "capture.stream_attached", "tap.stopped", "capture.stopped",
                                "capture.stream_detached"])
        }
    }

    @Test(arguments: StoreKind.available)
    func theStreamIsPcapngAndEndsWhenTheTapIsStopped(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            let api = rig.api, token = rig.fixture.alice
            let reading = Task { try await api.call(.get, "/api/v1/captures/\(id)/stream", token: token) }
            try await rig.readerAttached(id)
            // The test client has one connection, busy with the stream: stop through another.
            let client = try rig.client(token)
            _ = try await client.post(Resources.taps.url(id, "stop"), as: Tap.self)
            await client.shutdown()
            let reply = try await reading.value
            #expect(reply.status == 200)
            #expect(reply.headers[.contentType] == "application/x-pcapng")
            #expect(try Self.blocks(Array(reply.body)).packets == 0)
            #expect(try await rig.capture(id).endReason == .stopped)
        }
    }

    @Test(arguments: StoreKind.available)
    func aClientThatDisappearsMidStreamStopsTheCapture(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            let client = try rig.client(rig.fixture.alice)
            let reading = Task {
                try await client.stream("/api/v1/captures/\(id)/stream", accept: "application/x-pcapng") { _ in }
            }
            try await rig.readerAttached(id)
            reading.cancel()
            await client.shutdown()
            let capture = try await eventually(timeout: .seconds(60), "the capture to stop as client_gone") {
                let capture = try await rig.capture(id)
                return capture.state == .live ? nil : capture
            }
            #expect(capture.endReason == .clientGone)
            let tap = try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(id)", token: rig.fixture.alice)
            #expect(tap.state == .stopped)
            let actions = try await eventually("the end of the stream to be audited") {
                let actions = try await rig.auditActions(id)
                return actions.contains("capture.stream_detached") ? actions : nil
            }
            #expect(actions.filter { $0 != "capture.stream_detached" }
                    == ["tap.created", "capture.created", "capture.stream_attached", "capture.client_gone", "tap.stopped", "capture.stopped"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aLiveCaptureHasOneReader(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            _ = try await rig.controlPlane.broker.reader(for: id)
            let (status, error) = try await rig.api.failure(.get, "/api/v1/captures/\(id)/stream", token: rig.fixture.alice)
            #expect(status == 409 && error.code == .inUse)
        }
    }

    // MARK: Stored captures

    /// A stored capture of two hosts, stopped and complete.
    func completeStoredCapture(_ rig: Rig) async throws -> Capture {
        let id = try await rig.create(CaptureRequest(store: true)).capture.id
        try await rig.sendTwoHosts(id)
        return try await eventually("the stored capture to complete") {
            let capture = try await rig.capture(id)
            return capture.state == .complete ? capture : nil
        }
    }

    @Test(arguments: StoreKind.available)
    func aStoredCaptureIsTaggedAndDownloadsThroughASignedURLUntilItExpires(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let capture = try await completeStoredCapture(rig)
            let key = try #require(capture.objectKey)
            #expect(key == "shop/\(capture.id).pcapng")
            #expect(try await rig.objectStore.tags(key: key) == ["owner": "alice", "tenant": "shop", "tap": capture.id,
                                                                 "filter": "web-to-db", "target": "archive"])
            let expiresAt = try #require(capture.expiresAt)
            #expect(abs(expiresAt.timeIntervalSince(try #require(capture.endedAt)) - 3600) < 1)

            let link = try await rig.api.expect(CaptureDownloadLink.self, .post, "/api/v1/captures/\(capture.id)/download-url", token: rig.fixture.alice)
            #expect(abs(link.expiresAt.timeIntervalSince(rig.clock.now) - 900) < 2)
            let download = try await rig.api.call(.get, link.path, token: nil)
            #expect(download.status == 200 && download.headers[.contentType] == "application/x-pcapng")
            #expect(Int64(download.body.count) == capture.size)
            #expect(try Self.blocks(Array(download.body)).packets == 60)
            #expect(try await rig.auditActions(capture.id).suffix(2) == ["capture.download_link_created", "capture.downloaded"])

            rig.clock.advance(by: 901)
            let (status, error) = try await rig.api.failure(.get, link.path, token: nil)
            #expect(status == 403 && error.code == .signatureExpired)
            let refused = try await rig.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?object=\(capture.id)", token: rig.fixture.admin)
                .items.first { $0.action == AuditAction.captureDownloadRefused }
            #expect(refused?.details["reason"] == "signature_expired")
        }
    }

    @Test(arguments: StoreKind.available)
    func aSignedURLGrantsNothingForAnotherCaptureOrWhenTampered(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let first = try await completeStoredCapture(rig)
            let second = try await completeStoredCapture(rig)
            let link = try await rig.api.expect(CaptureDownloadLink.self, .post, "/api/v1/captures/\(first.id)/download-url", token: rig.fixture.alice)
            let query = try #require(link.path.split(separator: "?").last)
            let other = try await rig.api.failure(.get, "/api/v1/captures/\(second.id)/download?\(query)", token: nil)
            #expect(other.status == 403 && other.error.code == .signatureInvalid)
            let tampered = link.path.replacingOccurrences(of: "expires=", with: "expires=9")
            #expect(try await rig.api.failure(.get, tampered, token: nil).error.code == .signatureInvalid)
            #expect(try await rig.api.failure(.get, "/api/v1/captures/\(first.id)/download", token: nil).error.code == .signatureInvalid)
        }
    }

    @Test(arguments: StoreKind.available)
    func aTapWithAStoreTargetIsAStoredCaptureOfTheWholeFilter(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let view = try await rig.api.expect(TapView.self, .post, "/api/v1/taps", token: rig.fixture.alice,
                                                json: TapRequest(filter: "web-to-db", target: "archive", duration: TapDuration(seconds: 600)))
            #expect(view.tap.state == .active && view.tap.capture == CaptureNarrowing(mode: .store))
            let capture = try await rig.capture(view.tap.id)
            #expect(capture.mode == .store && capture.state == .live && capture.objectKey == "shop/\(view.tap.id).pcapng")
            let actions = try await rig.auditActions(view.tap.id)
            #expect(actions == ["tap.created", "capture.created"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aTapWithAStreamTargetIsRefusedPointingAtTapsterCapture(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let refused = try await rig.api.failure(.post, "/api/v1/taps", token: rig.fixture.alice,
                                                    json: TapRequest(filter: "web-to-db", target: "live", duration: TapDuration(seconds: 600)))
            #expect(refused.status == 400 && refused.error.code == .invalidArgument && refused.error.field == "target")
            #expect(refused.error.message == "target: \"live\" is a stream target: its packets go to whoever reads the capture; "
                    + "start one with tapster capture -F web-to-db --target live (POST /api/v1/captures)")
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingAStoredCaptureDeletesItsObjectAndKeepsTheRecord(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let capture = try await completeStoredCapture(rig)
            let reply = try await rig.api.call(.delete, "/api/v1/captures/\(capture.id)", token: rig.fixture.alice)
            #expect(reply.status == 204)
            #expect(try await rig.objectStore.head(key: try #require(capture.objectKey)) == nil)
            #expect(try await rig.capture(capture.id).state == .deleted)
            #expect(try await rig.api.call(.delete, "/api/v1/captures/\(capture.id)", token: rig.fixture.alice).status == 204)
            #expect(try await rig.auditActions(capture.id).filter { $0 == "capture.deleted" }.count == 1)
            #expect(try await rig.api.failure(.delete, "/api/v1/captures/\(capture.id)", token: rig.fixture.bob).status == 404)
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingALiveCaptureStopsItFirst(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create(CaptureRequest(store: true)).capture.id
            #expect(try await rig.api.call(.delete, "/api/v1/captures/\(id)", token: rig.fixture.alice).status == 204)
            let capture = try await rig.capture(id)
            #expect(capture.state == .deleted && capture.endReason == .stopped)
            #expect(try await rig.objectStore.head(key: try #require(capture.objectKey)) == nil)
            #expect(try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(id)", token: rig.fixture.alice).state == .stopped)
        }
    }

    @Test(arguments: StoreKind.available)
    func theRetentionSweeperDeletesExpiredStoredCapturesAndAuditsIt(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let capture = try await completeStoredCapture(rig)
            rig.clock.advance(by: 3601)
            let swept = try await eventually("the sweeper to delete the capture") {
                let current = try await rig.capture(capture.id)
                return current.state == .deleted ? current : nil
            }
            #expect(swept.objectKey == capture.objectKey)
            #expect(try await rig.objectStore.head(key: try #require(capture.objectKey)) == nil)
            let events = try await rig.api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&object=\(capture.id)&action=capture.expired",
                                                  token: rig.fixture.admin).items
            #expect(events.map(\.actor) == ["system"])
            #expect(events.first?.details["object_key"] == capture.objectKey)
        }
    }

    @Test(arguments: StoreKind.available)
    func aCaptureIsNotReactivated(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let id = try await rig.create().capture.id
            _ = try await rig.api.expect(Tap.self, .post, "/api/v1/taps/\(id)/stop", token: rig.fixture.alice)
            let (status, error) = try await rig.api.failure(.post, "/api/v1/taps/\(id)/reactivate", token: rig.fixture.alice)
            #expect(status == 409 && error.code == .invalidState)
        }
    }
}
