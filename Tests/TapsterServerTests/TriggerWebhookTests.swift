import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterTestSupport
import Testing

/// A trigger's webhook on every store, in process: it opens a stored capture as the trigger's admin, narrowed
/// to what the alert points at within the filter, at most as often as its rate allows, and refuses (401,
/// audited) whatever is not signed with its secret. The filter `web-to-db` selects web-1 (10.0.0.1, node-1)
/// and web-2 (10.0.0.2, node-2), not db-1 (10.0.0.3).
@Suite struct TriggerWebhookTests {
    typealias Rig = CaptureAPITests.Rig

    static func create(_ rig: Rig, rate: String = "1/10m") async throws -> TriggerCreated {
        try await rig.api.expect(TriggerCreated.self, .post, "/api/v1/triggers", token: rig.fixture.admin, json: TriggerSpec(
            name: "suspicious-web", filter: "web-to-db", target: "archive", duration: TapDuration(seconds: 300),
            before: TapDuration(seconds: 30), rate: try TriggerRate(parsing: rate), payload: .headers(snaplen: 256)))
    }

    /// Posts `body` to the trigger's webhook with the given headers.
    static func post(_ rig: Rig, _ trigger: Trigger, _ body: String, headers: HTTPFields) async throws -> (status: Int, json: [String: Any]) {
        var fields = headers
        fields[.contentType] = "application/json"
        let response = try await rig.api.client.execute(uri: trigger.webhookPath, method: .post, headers: fields, body: ByteBuffer(string: body))
        let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any] ?? [:]
        return (Int(response.status.code), json)
    }

    static func bearer(_ secret: String) -> HTTPFields { [.authorization: "Bearer \(secret)"] }

    static func trigger(_ rig: Rig) async throws -> Trigger {
        try await rig.api.expect(Trigger.self, .get, "/api/v1/triggers/suspicious-web", token: rig.fixture.admin)
    }

    static func audit(_ rig: Rig, _ action: String) async throws -> [AuditEvent] {
        try await rig.controlPlane.store.auditEvents(AuditQuery(action: action))
    }

    @Test(arguments: StoreKind.available)
    func creationAnswersTheWebhookAndTheSecretOnceAndReadsNeverShowTheSecret(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await Self.create(rig)
            #expect(created.secret.hasPrefix("tgs_") && created.secret.count > 40)
            #expect(created.trigger.webhookPath == "/api/v1/triggers/\(created.trigger.id)/webhook")
            #expect(created.trigger.owner == "admin")
            let reply = try await rig.api.call(.get, "/api/v1/triggers/suspicious-web", token: rig.fixture.admin)
            #expect(reply.status == 200 && !reply.text.contains(created.secret))
            #expect(try await Self.audit(rig, AuditAction.triggerCreated).map(\.objectName) == ["suspicious-web"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aGenericAlertOpensAStoredCaptureOfTheAdminOnTheAddressedWorkloadOnly(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await Self.create(rig)
            let (status, json) = try await Self.post(rig, created.trigger, #"{"addresses": ["10.0.0.2"], "reason": "lateral movement"}"#,
                                                     headers: Self.bearer(created.secret))
            #expect(status == 201, "\(json)")
            let id = try #require(json["capture"] as? String)
            #expect(json["workloads"] as? [String] == ["node-2/web-2"])
            let capture = try await rig.capture(id, rig.fixture.admin)
            #expect(capture.owner == "admin" && capture.mode == .store && capture.target == "archive" && capture.filter == "web-to-db")
            let tap = try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(id)", token: rig.fixture.admin)
            #expect(tap.capture?.workloads == ["node-2/web-2"] && tap.capture?.snaplen == 256)
            #expect(tap.duration == TapDuration(seconds: 300))
            let fired = try #require(try await Self.audit(rig, AuditAction.triggerFired).first)
            #expect(fired.details["alert"] == "lateral movement" && fired.details["capture"] == id && fired.details["source"] == "generic")
            let counters = try await Self.trigger(rig).counters
            #expect(counters.fired == 1 && counters.opened == 1 && counters.lastOpened == id && counters.lastAlert == "lateral movement")
        }
    }

    @Test(arguments: StoreKind.available)
    func anAlertNamingOnlyAWorkloadOutsideTheFilterOpensNothing(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await Self.create(rig)
            let (status, json) = try await Self.post(rig, created.trigger, #"{"addresses": ["10.0.0.3"], "reason": "db"}"#,
                                                     headers: Self.bearer(created.secret))
            #expect(status == 422 && json["code"] as? String == "no_match", "\(json)")
            #expect(try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: rig.fixture.admin).items.isEmpty)
            #expect(try await Self.trigger(rig).counters.unmatched == 1)
            #expect(try await Self.audit(rig, AuditAction.triggerUnmatched).count == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func anAlertWhoseTargetWasDeletedIsAnsweredAnErrorAndAuditedFailedOnce(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await Self.create(rig)
            let archive = try #require(try await rig.controlPlane.store.find("archive", in: .targets))
            #expect(try await rig.controlPlane.store.delete(id: archive.id, from: .targets))
            let (status, json) = try await Self.post(rig, created.trigger, #"{"addresses": ["10.0.0.2"], "reason": "lateral movement"}"#,
                                                     headers: Self.bearer(created.secret))
            #expect(status == 409 && json["code"] as? String == "invalid_state", "\(json)")
            let message = try #require(json["message"] as? String)
            #expect(message.contains("no longer exists") && json["capture"] == nil && json["tap"] == nil, "\(json)")
            #expect(try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: rig.fixture.admin).items.isEmpty)
            let failed = try await Self.audit(rig, AuditAction.triggerFailed)
            #expect(failed.count == 1, "\(failed)")
            let event = try #require(failed.first)
            #expect(event.objectName == "suspicious-web" && event.objectId == created.trigger.id && event.actor == Principal.system.name)
            #expect(event.details["alert"] == "lateral movement" && event.details["error_code"] == "invalid_state"
                    && event.details["error"] == message && event.details["stage"] == "resolve" && event.details["counted"] == "unmatched",
                    "\(event.details)")
            #expect(try await Self.audit(rig, AuditAction.triggerFired).isEmpty)
            #expect(try await Self.audit(rig, AuditAction.triggerUnmatched).isEmpty)
            let counters = try await Self.trigger(rig).counters
            #expect(counters.fired == 1 && counters.opened == 0 && counters.unmatched == 1 && counters.lastOpened == nil, "\(counters)")
        }
    }

    @Test(arguments: StoreKind.available)
    func anAlertWhoseCaptureCannotOpenIsAnsweredItsErrorAuditedFailedAndReleasesItsRateSlot(kind: StoreKind) async throws {
        // A server without a capture store cannot open the stored capture the trigger asks for.
        try await Rig.run(kind, objectStore: false) { rig in
            let created = try await Self.create(rig)
            let (status, json) = try await Self.post(rig, created.trigger, #"{"addresses": ["10.0.0.2"], "reason": "exfiltration"}"#,
                                                     headers: Self.bearer(created.secret))
            #expect(status == 503 && json["code"] as? String == "unavailable" && json["capture"] == nil, "\(json)")
            #expect(try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: rig.fixture.admin).items.isEmpty)
            let failed = try await Self.audit(rig, AuditAction.triggerFailed)
            #expect(failed.count == 1, "\(failed)")
            let event = try #require(failed.first)
            #expect(event.details["alert"] == "exfiltration" && event.details["error_code"] == "unavailable"
                    && event.details["error"] == json["message"] as? String && event.details["stage"] == "open"
                    && event.details["target"] == "archive" && event.details["workloads"] == "node-2/web-2", "\(event.details)")
            #expect(try await Self.audit(rig, AuditAction.triggerFired).isEmpty)
            // The failed opening gave its rate slot back: the next alert is tried again, not suppressed.
            let (again, _) = try await Self.post(rig, created.trigger, #"{"addresses": ["10.0.0.2"], "reason": "exfiltration"}"#,
                                                 headers: Self.bearer(created.secret))
            #expect(again == 503)
            #expect(try await Self.audit(rig, AuditAction.triggerFailed).count == 2)
            #expect(try await Self.audit(rig, AuditAction.triggerSuppressed).isEmpty)
            let counters = try await Self.trigger(rig).counters
            #expect(counters.fired == 2 && counters.opened == 0 && counters.unmatched == 2 && counters.suppressed == 0, "\(counters)")
        }
    }

    /// Posts `body` with the trigger's bearer secret and checks it opened nothing: 422 `no_match`, counted and audited
    /// unmatched with why; answers the error's message.
    static func expectUnmatched(_ rig: Rig, _ body: String) async throws -> String {
        let created = try await Self.create(rig)
        let (status, json) = try await Self.post(rig, created.trigger, body, headers: Self.bearer(created.secret))
        #expect(status == 422 && json["code"] as? String == "no_match", "\(json)")
        #expect(try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: rig.fixture.admin).items.isEmpty)
        #expect(try await Self.trigger(rig).counters.unmatched == 1)
        let audited = try await Self.audit(rig, AuditAction.triggerUnmatched)
        #expect(audited.count == 1 && audited.first?.details["unreadable"] != nil, "\(audited)")
        return json["message"] as? String ?? ""
    }

    @Test(arguments: StoreKind.available)
    func anAlertmanagerAlertWhoseInstanceIsAHostNameOpensNothing(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let message = try await Self.expectUnmatched(rig, """
                {"version": "4", "status": "firing", "alerts": [{"status": "firing",
                  "labels": {"alertname": "NodeDown", "instance": "web-2.internal:9100"}}]}
                """)
            #expect(message.contains(#"instance "web-2.internal:9100""#) && message.contains("selects nothing rather than the whole filter"), "\(message)")
        }
    }

    @Test(arguments: StoreKind.available)
    func aSuricataEventWithoutItsDestinationAddressOpensNothing(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let message = try await Self.expectUnmatched(rig, #"{"event_type": "alert", "src_ip": "198.51.100.7", "alert": {"signature": "S"}}"#)
            #expect(message.contains("has no dest_ip"), "\(message)")
        }
    }

    @Test(arguments: StoreKind.available)
    func anAlertmanagerInstanceOfAnIPAndAPortOpensACaptureOfItsWorkloadOnly(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await Self.create(rig)
            let (status, json) = try await Self.post(rig, created.trigger, """
                {"version": "4", "status": "firing", "alerts": [{"status": "firing",
                  "labels": {"alertname": "Scanner", "instance": "10.0.0.2:9100"}}]}
                """, headers: Self.bearer(created.secret))
            #expect(status == 201 && json["workloads"] as? [String] == ["node-2/web-2"], "\(json)")
        }
    }

    @Test(arguments: StoreKind.available)
    func aMirroringTargetsAnswerListsEveryWorkloadItsTapTakesNotOnlyTheAlerts(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await rig.api.expect(TriggerCreated.self, .post, "/api/v1/triggers", token: rig.fixture.admin, json: TriggerSpec(
                name: "mirror-web", filter: "web-to-db", target: "wireshark-1", duration: TapDuration(seconds: 300)))
            let (status, json) = try await Self.post(rig, created.trigger, #"{"addresses": ["10.0.0.2"], "reason": "mirror"}"#,
                                                     headers: Self.bearer(created.secret))
            #expect(status == 201 && json["tap"] is String, "\(json)")
            #expect(json["workloads"] as? [String] == ["node-1/web-1", "node-2/web-2"], "\(json)")
            let warnings = json["warnings"] as? [String] ?? []
            #expect(warnings.contains { $0.contains("mirrors every workload of filter \"web-to-db\"") && $0.contains("node-2/web-2") }, "\(warnings)")
            let fired = try #require(try await Self.audit(rig, AuditAction.triggerFired).first)
            #expect(fired.details["workloads"] == "node-1/web-1,node-2/web-2" && fired.details["alerted_workloads"] == "node-2/web-2")
        }
    }

    @Test(arguments: StoreKind.available)
    func aSecondAlertWithinTheRateOpensNothingNewExtendsNothingAndIsCounted(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await Self.create(rig)
            let body = #"{"selector": "app=web", "reason": "again"}"#
            let first = try await Self.post(rig, created.trigger, body, headers: Self.bearer(created.secret))
            #expect(first.status == 201)
            let id = try #require(first.json["capture"] as? String)
            let deadline = try await rig.capture(id, rig.fixture.admin).deadline
            rig.clock.advance(by: 60)
            let second = try await Self.post(rig, created.trigger, body, headers: Self.bearer(created.secret))
            #expect(second.status == 200 && second.json["suppressed"] as? Bool == true && second.json["capture"] == nil, "\(second.json)")
            #expect(try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: rig.fixture.admin).items.map(\.id) == [id])
            #expect(try await rig.capture(id, rig.fixture.admin).deadline == deadline, "nothing extended")
            let counters = try await Self.trigger(rig).counters
            #expect(counters.fired == 2 && counters.opened == 1 && counters.suppressed == 1)
            #expect(try await Self.audit(rig, AuditAction.triggerSuppressed).count == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func concurrentAlertsOpenExactlyOneCapture(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await Self.create(rig)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await Self.post(rig, created.trigger, #"{"selector": "app=web"}"#, headers: Self.bearer(created.secret)).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.sorted() == [200, 200, 200, 200, 200, 200, 200, 201])
            #expect(try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: rig.fixture.admin).items.count == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func unsignedAndWronglySignedCallsAreRefused401AndAudited(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await Self.create(rig)
            let body = #"{"selector": "app=web"}"#
            let unsigned = try await Self.post(rig, created.trigger, body, headers: [:])
            #expect(unsigned.status == 401 && unsigned.json["code"] as? String == "unauthenticated")
            let wrong = try await Self.post(rig, created.trigger, body, headers: Self.bearer("tgs_guess"))
            #expect(wrong.status == 401 && wrong.json["code"] as? String == "unauthenticated")
            let reasons = try await Self.audit(rig, AuditAction.triggerRefused).compactMap { $0.details["reason"] }.sorted()
            #expect(reasons == ["unsigned", "wrong_secret"])
            #expect(try await Self.trigger(rig).counters.refused == 2)
            #expect(try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: rig.fixture.admin).items.isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func anHMACSignedBodyIsAcceptedAndATamperedOneRefused(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await Self.create(rig)
            let body = #"{"addresses": ["10.0.0.1"], "reason": "signed"}"#
            let signature = TriggerSignature.sign(Data(body.utf8), secret: created.secret, at: rig.clock.now)
            let tampered = try await Self.post(rig, created.trigger, #"{"addresses": ["10.0.0.2"], "reason": "signed"}"#,
                                               headers: [TriggerSignature.header: signature])
            #expect(tampered.status == 401)
            #expect(try await Self.audit(rig, AuditAction.triggerRefused).compactMap { $0.details["reason"] } == ["wrong_signature"])
            let signed = try await Self.post(rig, created.trigger, body, headers: [TriggerSignature.header: signature])
            #expect(signed.status == 201 && signed.json["workloads"] as? [String] == ["node-1/web-1"], "\(signed.json)")
        }
    }

    @Test(arguments: StoreKind.available)
    func aSignedCallReplayedMoreThanFiveMinutesLaterIsRefused401AndAudited(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await Self.create(rig)
            let body = #"{"addresses": ["10.0.0.1"], "reason": "signed"}"#
            let signature = TriggerSignature.sign(Data(body.utf8), secret: created.secret, at: rig.clock.now)
            rig.clock.advance(by: 301)
            let replayed = try await Self.post(rig, created.trigger, body, headers: [TriggerSignature.header: signature])
            #expect(replayed.status == 401 && replayed.json["code"] as? String == "unauthenticated", "\(replayed.json)")
            #expect(try await Self.audit(rig, AuditAction.triggerRefused).compactMap { $0.details["reason"] } == ["stale_timestamp"])
            #expect(try await Self.trigger(rig).counters.refused == 1)
            #expect(try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: rig.fixture.admin).items.isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func aSignatureDatedMoreThanFiveMinutesAheadIsRefused401(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await Self.create(rig)
            let body = #"{"addresses": ["10.0.0.1"], "reason": "signed"}"#
            let signature = TriggerSignature.sign(Data(body.utf8), secret: created.secret, at: rig.clock.now.addingTimeInterval(301))
            let early = try await Self.post(rig, created.trigger, body, headers: [TriggerSignature.header: signature])
            #expect(early.status == 401, "\(early.json)")
            #expect(try await Self.audit(rig, AuditAction.triggerRefused).compactMap { $0.details["reason"] } == ["stale_timestamp"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aSignatureWithoutItsTimestampIsRefused401AndAudited(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await Self.create(rig)
            let body = #"{"addresses": ["10.0.0.1"], "reason": "signed"}"#
            let signed = TriggerSignature.sign(Data(body.utf8), secret: created.secret, at: rig.clock.now)
            let untimed = String(signed[signed.range(of: "v1=")!.lowerBound...])
            let refused = try await Self.post(rig, created.trigger, body, headers: [TriggerSignature.header: untimed])
            #expect(refused.status == 401, "\(refused.json)")
            #expect(try await Self.audit(rig, AuditAction.triggerRefused).compactMap { $0.details["reason"] } == ["missing_timestamp"])
        }
    }

    @Test(arguments: StoreKind.available)
    func anUnknownTriggerAndAWrongSecretAreAnsweredAlikeWithoutTheTriggersName(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await Self.create(rig)
            let body = #"{"selector": "app=web"}"#
            var unknown = created.trigger
            unknown.id = UUID().uuidString.lowercased()
            #expect(unknown.webhookPath != created.trigger.webhookPath)
            let wrong = try await Self.post(rig, created.trigger, body, headers: Self.bearer("tgs_guess"))
            let missing = try await Self.post(rig, unknown, body, headers: Self.bearer("tgs_guess"))
            #expect(wrong.status == 401 && missing.status == 401)
            #expect(NSDictionary(dictionary: wrong.json) == NSDictionary(dictionary: missing.json), "\(wrong.json) \(missing.json)")
            let message = try #require(wrong.json["message"] as? String)
            #expect(!message.contains(created.trigger.name) && !message.contains(created.trigger.id), "\(message)")
        }
    }

    @Test(arguments: StoreKind.available)
    func suricataEVEAlertEventsOpenACaptureNarrowedToTheirAddresses(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await Self.create(rig)
            let events = """
                [{"timestamp": "2026-12-05T21:00:00.000000+0000", "flow_id": 1, "in_iface": "eth0", "event_type": "alert",
                  "src_ip": "198.51.100.7", "src_port": 40000, "dest_ip": "10.0.0.1", "dest_port": 80, "proto": "TCP",
                  "alert": {"action": "allowed", "gid": 1, "signature_id": 2100498, "rev": 7, "signature": "GPL ATTACK_RESPONSE id check returned root",
                            "category": "Potentially Bad Traffic", "severity": 2}}]
                """
            let (status, json) = try await Self.post(rig, created.trigger, events, headers: Self.bearer(created.secret))
            #expect(status == 201, "\(json)")
            #expect(json["workloads"] as? [String] == ["node-1/web-1"])
            let fired = try #require(try await Self.audit(rig, AuditAction.triggerFired).first)
            #expect(fired.details["alert"] == "GPL ATTACK_RESPONSE id check returned root [sid 2100498] 198.51.100.7 -> 10.0.0.1")
        }
    }

    @Test(arguments: StoreKind.available)
    func withARecorderOfTheFilterTheCaptureLooksBackAsTheTriggerAsks(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let recorder = try await rig.api.call(.post, "/api/v1/recorders", token: rig.fixture.admin, json: RecorderSpec(
                name: "web-recorder", filter: "web-to-db", window: TapDuration(seconds: 60), maxBytes: 64 << 20))
            #expect(recorder.status == 201, "\(recorder.text)")
            let created = try await Self.create(rig)
            let (status, json) = try await Self.post(rig, created.trigger, #"{"selector": "app=web"}"#, headers: Self.bearer(created.secret))
            #expect(status == 201 && json["warnings"] == nil, "\(json)")
            let tap = try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(try #require(json["capture"] as? String))", token: rig.fixture.admin)
            #expect(tap.capture?.before == TapDuration(seconds: 30))
            #expect(try #require(try await Self.audit(rig, AuditAction.triggerFired).first).details["before"] == "30s")
        }
    }

    @Test(arguments: StoreKind.available)
    func withoutARecorderTheCaptureOpensLiveAndSaysWhyItHasNoLookBack(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let created = try await Self.create(rig)
            let (status, json) = try await Self.post(rig, created.trigger, #"{"selector": "app=web"}"#, headers: Self.bearer(created.secret))
            #expect(status == 201, "\(json)")
            let warnings = try #require(json["warnings"] as? [String])
            #expect(warnings.contains { $0.hasPrefix("opened without its look-back: no recorder covers ") }, "\(warnings)")
            let tap = try await rig.api.expect(Tap.self, .get, "/api/v1/taps/\(try #require(json["capture"] as? String))", token: rig.fixture.admin)
            #expect(tap.capture?.before == nil)
            #expect(try #require(try await Self.audit(rig, AuditAction.triggerFired).first).details["before"]?.hasPrefix("none (") == true)
        }
    }

    @Test(arguments: StoreKind.available)
    func aStreamTargetIsRefusedAndOwnersCannotDefineTriggers(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let stream = TriggerSpec(name: "t", filter: "web-to-db", target: "live", duration: TapDuration(seconds: 60))
            let (status, error) = try await rig.api.failure(.post, "/api/v1/triggers", token: rig.fixture.admin, json: stream)
            #expect(status == 400 && error.field == "target")
            let (ownerStatus, _) = try await rig.api.failure(.post, "/api/v1/triggers", token: rig.fixture.alice,
                                                             json: TriggerSpec(name: "t", filter: "web-to-db", target: "archive", duration: TapDuration(seconds: 60)))
            #expect(ownerStatus == 403)
        }
    }
}
