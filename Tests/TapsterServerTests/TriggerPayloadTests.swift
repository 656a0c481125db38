import Foundation
import TapsterCore
@testable import TapsterServer
import Testing

/// The three bodies a trigger's webhook reads, each made into one ``TriggerAlert``, and how an alert selects
/// workloads — only ever among those its trigger's filter selects.
@Suite struct TriggerPayloadTests {
    static func data(_ text: String) -> Data { Data(text.utf8) }
    static func ip(_ text: String) -> IPAddress { try! IPAddress(parsing: text) }

    static let workloads: [Workload] = [
        workload("web-1", host: "node-1", app: "web", ip: "10.0.0.1"),
        workload("web-2", host: "node-2", app: "web", ip: "10.0.0.2"),
    ]

    static func workload(_ name: String, host: String, app: String, ip: String) -> Workload {
        Workload(createdAt: Date(timeIntervalSince1970: 0), spec: WorkloadSpec(
            name: name, kind: .netns, host: host, labels: ["app": app, "zone": name == "web-1" ? "a" : "b"],
            interfaces: [WorkloadInterface(name: "eth0", ips: [Self.ip(ip)])]))
    }

    @Test func anAlertmanagerWebhookSelectsByItsFiringAlertsLabelsAndInstanceAddress() throws {
        let alert = try AlertPayload.parse(Self.data("""
            {"version": "4", "status": "firing", "receiver": "tapster", "groupKey": "{}:{}",
             "alerts": [
               {"status": "firing", "labels": {"alertname": "HighErrorRate", "severity": "page", "zone": "b"},
                "annotations": {"summary": "5xx above 5%"}},
               {"status": "firing", "labels": {"alertname": "Scanner", "instance": "10.0.0.1:9100"}},
               {"status": "resolved", "labels": {"alertname": "Old", "instance": "10.0.0.2:9100"}}]}
            """))
        #expect(alert.source == .alertmanager)
        #expect(alert.text == "HighErrorRate: 5xx above 5%; Scanner")
        #expect(alert.selections == [AlertSelection(labels: ["zone": "b"]), AlertSelection(addresses: [Self.ip("10.0.0.1")])])
        #expect(alert.workloads(among: Self.workloads).map(\.name) == ["web-1", "web-2"])
    }

    @Test func anAlertmanagerNotificationWithOnlyResolvedAlertsSelectsNothing() throws {
        let alert = try AlertPayload.parse(Self.data(#"{"version": "4", "status": "resolved", "alerts": [{"status": "resolved", "labels": {"alertname": "X"}}]}"#))
        #expect(alert.selections.isEmpty)
        #expect(alert.workloads(among: Self.workloads).isEmpty)
    }

    @Test func anAlertmanagerLabelNoWorkloadHasDescribesTheAlertAndSelectsEveryWorkloadOfTheFilter() throws {
        let alert = try AlertPayload.parse(Self.data(#"{"alerts": [{"status": "firing", "labels": {"alertname": "X", "team": "payments"}}]}"#))
        #expect(alert.workloads(among: Self.workloads).map(\.name) == ["web-1", "web-2"])
    }

    @Test func aSuricataEVEAlertArraySelectsTheWorkloadsOfItsAddressesAndIgnoresOtherEvents() throws {
        let alert = try AlertPayload.parse(Self.data("""
            [{"timestamp": "2026-12-05T21:00:00.000000+0000", "event_type": "alert", "src_ip": "10.0.0.2", "src_port": 51234,
              "dest_ip": "203.0.113.9", "dest_port": 443, "proto": "TCP",
              "alert": {"action": "allowed", "gid": 1, "signature_id": 2010935, "rev": 3, "signature": "ET SCAN Suspicious inbound",
                        "category": "Attempted Information Leak", "severity": 2}},
             {"event_type": "flow", "src_ip": "10.0.0.1", "dest_ip": "203.0.113.9"}]
            """))
        #expect(alert.source == .suricata)
        #expect(alert.text == "ET SCAN Suspicious inbound [sid 2010935] 10.0.0.2 -> 203.0.113.9")
        #expect(alert.workloads(among: Self.workloads).map(\.name) == ["web-2"])
    }

    @Test func oneSuricataEVEAlertObjectIsReadToo() throws {
        let alert = try AlertPayload.parse(Self.data(#"{"event_type": "alert", "src_ip": "fd00::7", "dest_ip": "10.0.0.1", "alert": {"signature": "S"}}"#))
        #expect(alert.selections == [AlertSelection(addresses: [Self.ip("fd00::7"), Self.ip("10.0.0.1")])])
        #expect(alert.workloads(among: Self.workloads).map(\.name) == ["web-1"])
    }

    @Test func aGenericBodyNeedsBothItsSelectorAndItsAddressesToHold() throws {
        let alert = try AlertPayload.parse(Self.data(#"{"selector": "zone=a", "addresses": ["10.0.0.1", "10.0.0.2"], "reason": "manual"}"#))
        #expect(alert.source == .generic && alert.text == "manual")
        #expect(alert.workloads(among: Self.workloads).map(\.name) == ["web-1"])
    }

    @Test func aGenericBodyNamingNoWorkloadIsRefused() {
        #expect(throws: TapsterError.invalid("selector", "a generic alert names the workloads it concerns: a selector, addresses, or both")) {
            try AlertPayload.parse(Self.data(#"{"reason": "something"}"#))
        }
    }

    @Test func aBodyOfNoKnownShapeIsRefusedWithWhatIsRead() throws {
        let error = try #require(throws: TapsterError.self) { try AlertPayload.parse(Self.data(#"{"hello": 1}"#)) }
        #expect(error.code == .badRequest)
        #expect(error.message.hasPrefix("the body is no alert this trigger reads"))
        #expect((try? AlertPayload.parse(Self.data("not json")))  == nil)
    }

    @Test func anAlertPointingOutsideTheFilterSelectsNothing() throws {
        // 10.0.0.3 is a workload the filter does not select: it is not among the candidates, so nothing is.
        let alert = try AlertPayload.parse(Self.data(#"{"addresses": ["10.0.0.3"], "reason": "db"}"#))
        #expect(alert.workloads(among: Self.workloads).isEmpty)
    }

    @Test func addressesAreReadWithOrWithoutAPort() {
        #expect(AlertPayload.address("10.0.0.5:9100") == Self.ip("10.0.0.5"))
        #expect(AlertPayload.address("[fd00::5]:9100") == Self.ip("fd00::5"))
        #expect(AlertPayload.address("fd00::5") == Self.ip("fd00::5"))
        #expect(AlertPayload.address("web-1.example:9100") == nil, "names are not resolved")
    }

    @Test func theSignatureIsTheBearerSecretOrTheHMACOfTheExactBody() {
        let body = Self.data(#"{"reason": "x", "selector": "app=web"}"#)
        let secret = "tgs_secret"
        #expect(TriggerSignature.refusal(authorization: "Bearer tgs_secret", signature: nil, body: body, secret: secret) == nil)
        #expect(TriggerSignature.refusal(authorization: "Bearer tgs_other", signature: nil, body: body, secret: secret) == "wrong_secret")
        #expect(TriggerSignature.refusal(authorization: nil, signature: nil, body: body, secret: secret) == "unsigned")
        let signature = TriggerSignature.sign(body, secret: secret)
        #expect(TriggerSignature.refusal(authorization: nil, signature: signature, body: body, secret: secret) == nil)
        #expect(TriggerSignature.refusal(authorization: nil, signature: signature, body: body + Self.data(" "), secret: secret) == "wrong_signature")
        #expect(TriggerSignature.refusal(authorization: nil, signature: "sha256=zz", body: body, secret: secret) == "malformed_signature")
    }

    @Test func aRateIsCountPerPeriod() throws {
        #expect(try TriggerRate(parsing: "1/10m") == TriggerRate(count: 1, period: TapDuration(seconds: 600)))
        #expect(try TriggerRate(parsing: "3/1h").description == "3/1h")
        #expect(throws: TapsterError.self) { try TriggerRate(parsing: "0/10m") }
        #expect(throws: TapsterError.self) { try TriggerRate(parsing: "1") }
    }
}
