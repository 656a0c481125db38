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

    @Test func anAlertmanagerAlertWhoseInstanceIsAHostNameSelectsNothingRatherThanTheWholeFilter() throws {
        let alert = try AlertPayload.parse(Self.data(#"{"alerts": [{"status": "firing", "labels": {"alertname": "Down", "instance": "web-1.example:9100"}}]}"#))
        #expect(alert.workloads(among: Self.workloads).isEmpty)
        #expect(alert.unreadable == [#"alert Down names instance "web-1.example:9100", no IP address (host names are not resolved)"#])
    }

    @Test func anAlertmanagerAlertWithOneReadableAddressAmongUnreadableOnesSelectsByThatAddress() throws {
        let alert = try AlertPayload.parse(Self.data(
            #"{"alerts": [{"status": "firing", "labels": {"alertname": "X", "instance": "web-1.example:9100", "pod_ip": "10.0.0.2"}}]}"#))
        #expect(alert.workloads(among: Self.workloads).map(\.name) == ["web-2"])
        #expect(alert.unreadable.isEmpty)
    }

    @Test func anAlertmanagerInstanceOfAnIPAndAPortSelectsItsWorkload() throws {
        let alert = try AlertPayload.parse(Self.data(#"{"alerts": [{"status": "firing", "labels": {"alertname": "X", "instance": "10.0.0.2:9100"}}]}"#))
        #expect(alert.workloads(among: Self.workloads).map(\.name) == ["web-2"])
    }

    @Test func aSuricataEventWithoutADestinationAddressSelectsNothing() throws {
        let alert = try AlertPayload.parse(Self.data(#"{"event_type": "alert", "src_ip": "10.0.0.1", "alert": {"signature": "S"}}"#))
        #expect(alert.workloads(among: Self.workloads).isEmpty)
        #expect(alert.unreadable == ["EVE alert S has no dest_ip"])
    }

    @Test func aSuricataEventWithoutASourceAddressSelectsNothing() throws {
        let alert = try AlertPayload.parse(Self.data(#"{"event_type": "alert", "dest_ip": "10.0.0.1", "alert": {"signature": "S"}}"#))
        #expect(alert.workloads(among: Self.workloads).isEmpty)
        #expect(alert.unreadable == ["EVE alert S has no src_ip"])
    }

    @Test func aSuricataEventWhoseAddressesAreNeitherAnIPSelectsNothing() throws {
        let alert = try AlertPayload.parse(Self.data(#"{"event_type": "alert", "src_ip": "x", "dest_ip": "y", "alert": {"signature": "S"}}"#))
        #expect(alert.workloads(among: Self.workloads).isEmpty)
        #expect(alert.unreadable.count == 1)
    }

    @Test func aZoneSuffixedIPv6AddressIsReadWithoutItsZone() {
        #expect(AlertPayload.address("fe80::1%eth0") == Self.ip("fe80::1"))
        #expect(AlertPayload.address("[fe80::1%eth0]:9100") == Self.ip("fe80::1"))
        #expect(AlertPayload.address("10.0.0.1%eth0") == nil, "an IPv4 address has no zone")
        #expect(AlertPayload.address("fe80::1%") == nil)
    }

    @Test func theSignatureIsTheBearerSecretOrTheHMACOfTheTimestampAndTheExactBody() {
        let body = Self.data(#"{"reason": "x", "selector": "app=web"}"#)
        let secret = "tgs_secret"
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        func refusal(_ authorization: String?, _ signature: String?, _ body: Data) -> String? {
            TriggerSignature.refusal(authorization: authorization, signature: signature, body: body, secret: secret, now: now)
        }
        #expect(refusal("Bearer tgs_secret", nil, body) == nil)
        #expect(refusal("Bearer tgs_other", nil, body) == "wrong_secret")
        #expect(refusal(nil, nil, body) == "unsigned")
        let signature = TriggerSignature.sign(body, secret: secret, at: now)
        #expect(signature.hasPrefix("t=1800000000,v1="))
        #expect(refusal(nil, signature, body) == nil)
        #expect(refusal(nil, signature, body + Self.data(" ")) == "wrong_signature")
        #expect(refusal(nil, "sha256=zz", body) == "malformed_signature")
    }

    @Test func theSignedMessageIsTheTimestampADotAndTheBody() {
        // As `printf '%s.%s' "$t" "$body" | openssl dgst -sha256 -hmac "$secret"` computes it.
        let signature = TriggerSignature.sign(Self.data("{}"), secret: "k", at: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(signature == "t=1700000000,v1=" + Self.hmacHex(key: "k", message: "1700000000.{}"))
    }

    static func hmacHex(key: String, message: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["dgst", "-sha256", "-hmac", key, "-r"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try? process.run()
        input.fileHandleForWriting.write(Data(message.utf8))
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        return String(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64))
    }

    @Test func aSignatureOlderOrNewerThanFiveMinutesIsRefusedAsStale() {
        let body = Self.data("{}")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        for offset in [-301.0, 301.0] {
            let signature = TriggerSignature.sign(body, secret: "k", at: now.addingTimeInterval(offset))
            #expect(TriggerSignature.refusal(authorization: nil, signature: signature, body: body, secret: "k", now: now) == "stale_timestamp")
        }
        let edge = TriggerSignature.sign(body, secret: "k", at: now.addingTimeInterval(-300))
        #expect(TriggerSignature.refusal(authorization: nil, signature: edge, body: body, secret: "k", now: now) == nil)
    }

    @Test func aSignatureWithoutATimestampIsRefused() {
        let body = Self.data("{}")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let full = TriggerSignature.sign(body, secret: "k", at: now)
        let mac = full[full.range(of: "v1=")!.upperBound...]
        #expect(TriggerSignature.refusal(authorization: nil, signature: "v1=\(mac)", body: body, secret: "k", now: now) == "missing_timestamp")
        #expect(TriggerSignature.refusal(authorization: nil, signature: "sha256=\(mac)", body: body, secret: "k", now: now) == "malformed_signature",
                "the former body-only form is no longer read")
    }

    @Test func aRateIsCountPerPeriod() throws {
        #expect(try TriggerRate(parsing: "1/10m") == TriggerRate(count: 1, period: TapDuration(seconds: 600)))
        #expect(try TriggerRate(parsing: "3/1h").description == "3/1h")
        #expect(throws: TapsterError.self) { try TriggerRate(parsing: "0/10m") }
        #expect(throws: TapsterError.self) { try TriggerRate(parsing: "1") }
    }
}
