import Foundation
import Testing
import TapsterAPI
@testable import TapsterCore
import TapsterSystemTestSupport

@Suite("TapsterJSON wire format")
struct JSONCodingTests {
    /// 2026-11-23T18:50:31.123Z, made as the store makes times (milliseconds since 1970), which is
    /// what a parsed time equals: dates made by other arithmetic may differ in their last bit.
    static let created = Date(timeIntervalSince1970: 1_795_459_831.123)

    /// Decodes and encodes again: the wire form must survive unchanged.
    static func reencoded<T: Codable>(_ type: T.Type, _ json: String) throws -> String {
        try Self.json(try Self.decode(type, json))
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try TapsterJSON.encoder().encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try TapsterJSON.decoder().decode(type, from: Data(json.utf8))
    }

    // MARK: Times

    @Test("times are ISO 8601 UTC with milliseconds")
    func timeFormat() {
        #expect(TapsterJSON.formatTime(Self.created) == "2026-11-23T18:50:31.123Z")
        #expect(TapsterJSON.formatTime(Fixture.t0) == "2026-11-23T18:50:31.000Z")
    }

    @Test("every millisecond of a second is written exactly and reads back equal", arguments: [0, 1, 1000, 1795459831, -1] as [Int64])
    func millisecondsRoundTrip(second: Int64) throws {
        for millisecond in Int64(0)..<1000 {
            let date = Date(timeIntervalSince1970: TimeInterval(second * 1000 + millisecond) / 1000)
            let text = TapsterJSON.formatTime(date)
            let digits = String(millisecond)
            #expect(text.hasSuffix("." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"), "\(second).\(millisecond) → \(text)")
            #expect(TapsterJSON.parseTime(text) == date, "\(text)")
        }
    }

    @Test("dates round-trip through the encoder and decoder")
    func datesRoundTripThroughCoders() throws {
        let dates = [Self.created, Date(timeIntervalSince1970: 1_795_459_831.001), Date(timeIntervalSince1970: 1_795_459_890.999)]
        let json = try Self.json(dates)
        #expect(json == #"["2026-11-23T18:50:31.123Z","2026-11-23T18:50:31.001Z","2026-11-23T18:51:30.999Z"]"#)
        #expect(try Self.decode([Date].self, json) == dates)
    }

    @Test("times are rounded to the nearest millisecond", arguments: [(0.1234, ".123Z"), (0.1236, ".124Z"), (0.9996, ".000Z")])
    func roundsToMilliseconds(offset: TimeInterval, suffix: String) {
        #expect(TapsterJSON.formatTime(Fixture.t0.addingTimeInterval(offset)).hasSuffix(suffix))
    }

    @Test("times without fractional seconds or with an offset are read too")
    func parsesOtherForms() {
        #expect(TapsterJSON.parseTime("2026-11-23T18:50:31Z") == Fixture.t0)
        #expect(TapsterJSON.parseTime("2026-11-23T19:50:31.123+01:00") == Self.created)
    }

    /// `text` as Foundation's ISO 8601 parser reads it, to the millisecond (what ``TapsterJSON/parseTime(_:)`` did
    /// for every form before it read its own by hand).
    static func foundationTime(_ text: String) -> Date? {
        guard let date = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text)) else { return nil }
        return Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    @Test("the written form reads as Foundation's parser reads it (20,000 random times 1900-2400, seed 0x71de)")
    func writtenFormAsFoundationReadsIt() {
        var generator = FuzzGenerator(seed: 0x71de)
        print("JSONCodingTests.writtenFormAsFoundationReadsIt: seed 0x71de")
        for _ in 0..<20_000 {
            let milliseconds = Int64.random(in: -2_208_988_800_000...13_569_465_600_000, using: &generator)
            let text = TapsterJSON.formatTime(Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000))
            #expect(TapsterJSON.parseTime(text) == Self.foundationTime(text), "\(text)")
            let whole = String(text.dropLast(5)) + "Z"
            #expect(TapsterJSON.parseTime(whole) == Self.foundationTime(whole), "\(whole)")
        }
    }

    @Test("the written form is read by hand, any other by Foundation's parser")
    func writtenFormReadByHand() {
        #expect(UTCTimeText.milliseconds("2026-11-23T18:50:31.123Z") == 1_795_459_831_123)
        #expect(UTCTimeText.milliseconds("2026-11-23T18:50:31Z") == 1_795_459_831_000)
        #expect(UTCTimeText.milliseconds("1969-12-31T23:59:59.999Z") == -1)
        #expect(UTCTimeText.milliseconds("2026-11-23T19:50:31.123+01:00") == nil)
        #expect(UTCTimeText.milliseconds("1899-12-31T23:59:59.999Z") == nil)
        #expect(UTCTimeText.milliseconds("2026-11-23T18:50:60.000Z") == nil)
    }

    @Test("dates at the calendar's edges read as Foundation's parser reads them", arguments: [
        "2024-02-29T23:59:59.999Z", "2000-02-29T00:00:00.000Z", "1900-03-01T00:00:00Z", "1969-12-31T23:59:59.999Z",
        "1970-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "1899-12-31T23:59:59.999Z", "1582-10-10T00:00:00Z",
        "2023-02-29T00:00:00.000Z", "2026-13-01T00:00:00.000Z", "2026-04-31T00:00:00Z", "2026-11-23T24:00:00.000Z",
        "2026-11-23T18:60:31.000Z", "2026-11-23T18:50:60.000Z", "2026-11-23T18:50:31.12Z", "2026-11-23T18:50:31,123Z",
        "2026-11-23 18:50:31.123Z", "2026-11-23T18:50:31.1234Z", "+026-11-23T18:50:31.123Z", "2026-11-23T18:50:31.123z",
    ])
    func edgesAsFoundationReadsThem(text: String) {
        #expect(TapsterJSON.parseTime(text) == Self.foundationTime(text))
    }

    @Test("text that is not an ISO 8601 time is refused", arguments: ["yesterday", "", "2026-11-23", "1795459831"])
    func refusesNonTimes(text: String) {
        #expect(TapsterJSON.parseTime(text) == nil)
        #expect(throws: DecodingError.self) { try Self.decode([Date].self, "[\"\(text)\"]") }
    }

    // MARK: Keys

    @Test("ERSPAN target fields are snake_case on the wire")
    func erspanTargetKeys() throws {
        let spec = TargetSpec(name: "ids", kind: .erspan, destination: Fixture.ip("192.0.2.10"), erspanVersion: 2, sessionId: 7, payload: .full)
        #expect(try Self.json(spec) == #"{"destination":"192.0.2.10","erspan_version":2,"kind":"erspan","name":"ids","payload":"full","session_id":7}"#)
    }

    @Test("VXLAN, port and store target fields are snake_case on the wire")
    func otherTargetKeys() throws {
        let vxlan = TargetSpec(name: "nvf", kind: .vxlan, destination: Fixture.ip("2001:db8::1"), vni: 5000, udpPort: 4789,
                               bandwidthCap: BandwidthCap(bitsPerSecond: 100_000_000))
        #expect(try Self.json(vxlan) == #"{"bandwidth_cap":"100Mbps","destination":"2001:db8::1","kind":"vxlan","name":"nvf","udp_port":4789,"vni":5000}"#)
        let port = TargetSpec(name: "mon", kind: .port, greKey: nil, portId: "6f1c3a52-8a4e-4a57-9d55-0c1b8f1e2a3d")
        #expect(try Self.json(port) == #"{"kind":"port","name":"mon","port_id":"6f1c3a52-8a4e-4a57-9d55-0c1b8f1e2a3d"}"#)
        let gre = TargetSpec(name: "teb", kind: .gre, destination: Fixture.ip("192.0.2.10"), greKey: 9)
        #expect(try Self.json(gre) == #"{"destination":"192.0.2.10","gre_key":9,"kind":"gre","name":"teb"}"#)
    }

    @Test("snake_case keys decode into the model, unknown keys are ignored")
    func decodesSnakeCase() throws {
        let spec = try Self.decode(TargetSpec.self, #"{"name":"ids","kind":"erspan","destination":"192.0.2.10","erspan_version":3,"session_id":7,"payload":"headers:128","colour":"blue"}"#)
        #expect(spec == TargetSpec(name: "ids", kind: .erspan, destination: Fixture.ip("192.0.2.10"), erspanVersion: 3, sessionId: 7,
                                   payload: .headers(snaplen: 128)))
    }

    @Test("a grant's maximum duration is max_duration, a duration string (or a number of seconds)")
    func grantKeys() throws {
        let spec = GrantSpec(user: "alice", filter: "web-db", target: "ids", maxDuration: Fixture.duration("4h"))
        #expect(try Self.json(spec) == #"{"filter":"web-db","max_duration":"4h","target":"ids","user":"alice"}"#)
        #expect(try Self.decode(GrantSpec.self, #"{"tenant":"shop","filter":"web-db","target":"ids","max_duration":5400}"#)
            == GrantSpec(tenant: "shop", filter: "web-db", target: "ids", maxDuration: Fixture.duration("1h30m")))
    }

    @Test("a filter spec's fields are snake_case, rules keep 'protocol'")
    func filterSpecKeys() throws {
        let spec = FilterSpec(name: "web-db", selector: Fixture.selector("app=web"), peerSelector: Fixture.selector("tier=db"),
                              rules: [FlowRule(protocol: .tcp, net: Fixture.cidr("10.0.0.0/8"), port: "5432")], direction: .out)
        let json = try Self.json(spec)
        #expect(json == #"{"direction":"out","name":"web-db","peer_selector":"tier=db","rules":[{"net":"10.0.0.0/8","port":"5432","protocol":"tcp"}],"selector":"app=web"}"#)
        #expect(try Self.decode(FilterSpec.self, json) == spec)
    }

    @Test("request bodies decode from snake_case")
    func requestBodies() throws {
        #expect(try Self.decode(TapRequest.self, #"{"filter":"web-db","target":"ids","duration":"90m","tenant":"shop"}"#)
            == TapRequest(filter: "web-db", target: "ids", duration: Fixture.duration("90m"), tenant: "shop"))
        #expect(try Self.decode(LoginRequest.self, #"{"name":"alice","password":"pw","token_name":"cli"}"#)
            == LoginRequest(name: "alice", password: "pw", tokenName: "cli"))
        #expect(try Self.decode(TokenRequest.self, #"{"name":"ci","expires_in":"30d"}"#)
            == TokenRequest(name: "ci", expiresIn: Fixture.duration("30d")))
        #expect(try Self.decode(UserPatch.self, #"{"password":"new","current_password":"old"}"#)
            == UserPatch(password: "new", currentPassword: "old"))
        #expect(try Self.decode(ReactivateRequest.self, "{}") == ReactivateRequest())
    }

    @Test("a request with an invalid duration does not decode")
    func invalidDurationInRequest() {
        #expect(throws: DecodingError.self) {
            try Self.decode(TapRequest.self, #"{"filter":"web-db","target":"ids","duration":"forever"}"#)
        }
    }

    // MARK: Records

    @Test("a record is flat: id, created_at and updated_at beside the spec's fields")
    func recordFlattening() throws {
        let target = Target(id: "t-1", createdAt: Self.created,
                            spec: TargetSpec(name: "ids", kind: .erspan, destination: Fixture.ip("192.0.2.10"), erspanVersion: 2, sessionId: 7))
        let json = try Self.json(target)
        #expect(json == #"{"created_at":"2026-11-23T18:50:31.123Z","destination":"192.0.2.10","erspan_version":2,"id":"t-1","kind":"erspan","name":"ids","session_id":7,"updated_at":"2026-11-23T18:50:31.123Z"}"#)
        #expect(try Self.decode(Target.self, json) == target)
    }

    @Test("a record forwards member access to its spec")
    func recordMemberLookup() {
        let target = Target(createdAt: Fixture.t0, spec: TargetSpec(name: "ids", kind: .stream))
        #expect(target.name == "ids")
        #expect(target.kind == .stream)
        #expect(target.updatedAt == target.createdAt)
        #expect(Identifier.isIdentifier(target.id))
    }

    @Test("a tenant without a description decodes with an empty one")
    func tenantDescriptionDefault() throws {
        let tenant = try Self.decode(Tenant.self, #"{"id":"n-1","name":"shop","created_at":"2026-11-23T18:50:31.123Z","updated_at":"2026-11-23T18:50:31.123Z"}"#)
        #expect(tenant.spec == TenantSpec(name: "shop", description: ""))
        #expect(try Self.json(ItemList(items: [tenant.spec])) == #"{"items":[{"description":"","name":"shop"}]}"#)
    }

    @Test("a user is flat, with must_change_password, since when it belongs to each tenant, and without any password")
    func userShape() throws {
        let user = User(id: "u-1", spec: UserSpec(name: "alice", role: .owner, tenants: ["shop"], quota: 3), createdAt: Self.created)
        let json = try Self.json(user)
        #expect(json == #"{"created_at":"2026-11-23T18:50:31.123Z","disabled":false,"id":"u-1","member_since":{"shop":"2026-11-23T18:50:31.123Z"},"must_change_password":false,"name":"alice","quota":3,"role":"owner","tenants":["shop"],"updated_at":"2026-11-23T18:50:31.123Z"}"#)
        #expect(try Self.decode(User.self, json) == user)
    }

    @Test("an issued token carries token_info with snake_case keys")
    func issuedTokenShape() throws {
        let token = IssuedToken(token: "secret", tokenInfo: APIToken(id: "k-1", userId: "u-1", name: "cli", createdAt: Self.created))
        #expect(try Self.json(token) == #"{"token":"secret","token_info":{"created_at":"2026-11-23T18:50:31.123Z","id":"k-1","name":"cli","user_id":"u-1"}}"#)
    }

    @Test("a filter view is the filter's record with its matches beside it")
    func filterViewFlattening() throws {
        let filter = Filter(id: "f-1", createdAt: Self.created,
                            spec: FilterSpec(name: "web-db", selector: Fixture.selector("app=web"), direction: .both))
        let view = FilterView(filter: filter, matches: FilterMatches(workloads: 2, hosts: 1))
        let json = try Self.json(view)
        #expect(json == #"{"created_at":"2026-11-23T18:50:31.123Z","direction":"both","id":"f-1","matches":{"hosts":1,"workloads":2},"name":"web-db","selector":"app=web","updated_at":"2026-11-23T18:50:31.123Z"}"#)
        #expect(try Self.decode(FilterView.self, json) == view)
    }

    // MARK: Taps

    static func stoppedTap() throws -> Tap {
        let tap = Tap(id: "p-2", tenant: "shop", owner: "alice", filter: "web-db", target: "ids", duration: Fixture.duration("1h"),
                      createdAt: created, reactivatedFrom: "p-1", matchedWorkloads: 2)
        return try tap.applying(.stop(by: .user, actor: "alice"), at: Fixture.t0.addingTimeInterval(600.5))
    }

    @Test("a tap's fields are snake_case on the wire: stopped_by, reactivated_from, ended_at …")
    func tapKeys() throws {
        let json = try Self.json(try Self.stoppedTap())
        #expect(json == #"{"created_at":"2026-11-23T18:50:31.123Z","deadline":"2026-11-23T19:50:31.123Z","duration":"1h","ended_at":"2026-11-23T19:00:31.500Z","filter":"web-db","id":"p-2","matched_workloads":2,"owner":"alice","reactivated_from":"p-1","state":"stopped","stopped_by":"user","stopped_by_user":"alice","target":"ids","tenant":"shop"}"#)
        #expect(try Self.reencoded(Tap.self, json) == json)
        #expect(try Self.decode(Tap.self, json).stoppedBy == .user)
    }

    @Test("a failed tap carries failure_reason, and per-agent status under agents")
    func failedTapKeys() throws {
        var tap = try Tap(id: "p-3", tenant: nil, owner: "root", filter: "f", target: "t", state: .pending, duration: Fixture.duration("90s"),
                          createdAt: Self.created).applying(.fail(reason: "no agent"), at: Self.created)
        tap.agents = [TapAgentStatus(agent: "node-1", state: .failed, reason: "no such netns", updatedAt: Self.created)]
        let json = try Self.json(tap)
        #expect(json.contains(#""failure_reason":"no agent""#))
        #expect(json.contains(#""agents":[{"agent":"node-1","bytes":0,"drops":0,"packets":0,"reason":"no such netns","state":"failed","updated_at":"2026-11-23T18:50:31.123Z"}]"#))
        #expect(!json.contains("tenant"))
        #expect(try Self.reencoded(Tap.self, json) == json)
    }

    @Test("a tap view is the tap with its warnings beside it, warnings left out when there are none")
    func tapViewFlattening() throws {
        let tap = try Self.stoppedTap()
        let warned = TapView(tap: tap, warnings: ["no workload matches the filter yet"])
        let json = try Self.json(warned)
        #expect(json == String((try Self.json(tap)).dropLast()) + #","warnings":["no workload matches the filter yet"]}"#)
        #expect(try Self.reencoded(TapView.self, json) == json)
        #expect(try Self.decode(TapView.self, json).warnings == ["no workload matches the filter yet"])
        let quiet = TapView(tap: tap)
        #expect(try Self.json(quiet) == (try Self.json(tap)))
        #expect(try Self.decode(TapView.self, try Self.json(tap)).warnings == [])
    }

    // MARK: Errors

    @Test("an error is {code, field, message} with the field left out when there is none")
    func errorShape() throws {
        #expect(try Self.json(TapsterError.invalid("duration", "too long"))
            == #"{"code":"invalid_argument","field":"duration","message":"duration: too long"}"#)
        #expect(try Self.json(TapsterError.notFound("tap", "p-1")) == #"{"code":"not_found","message":"tap \"p-1\" not found"}"#)
        #expect(try Self.decode(TapsterError.self, #"{"code":"quota_exceeded","message":"stop one"}"#) == TapsterError(.quotaExceeded, "stop one"))
    }

    @Test("every error code has its wire name", arguments: [
        (ErrorCode.badRequest, "bad_request"),
        (.malformedJSON, "malformed_json"),
        (.invalidArgument, "invalid_argument"),
        (.invalidBPF, "invalid_bpf"),
        (.unauthenticated, "unauthenticated"),
        (.forbidden, "forbidden"),
        (.notGranted, "not_granted"),
        (.selfApproval, "self_approval"),
        (.passwordChangeRequired, "password_change_required"),
        (.notFound, "not_found"),
        (.methodNotAllowed, "method_not_allowed"),
        (.alreadyExists, "already_exists"),
        (.inUse, "in_use"),
        (.invalidState, "invalid_state"),
        (.quotaExceeded, "quota_exceeded"),
        (.approvalRequired, "approval_required"),
        (.durationExceedsGrant, "duration_exceeds_grant"),
        (.ambiguousGrant, "ambiguous_grant"),
        (.notRecorded, "not_recorded"),
        (.noMatch, "no_match"),
        (.signatureInvalid, "signature_invalid"),
        (.signatureExpired, "signature_expired"),
        (.tooManyRequests, "too_many_requests"),
        (.internal, "internal"),
        (.unavailable, "unavailable"),
    ])
    func errorCodes(code: ErrorCode, wire: String) throws {
        #expect(code.rawValue == wire)
        #expect(try Self.json([code]) == "[\"\(wire)\"]")
    }

    @Test("the wire-name table names every error code")
    func everyCodeListed() {
        #expect(ErrorCode.allCases.count == 25)
    }

    @Test("a tenant patch tells a stored-bytes quota to set, to remove (null) and to leave (absent) apart, both ways")
    func tenantPatchQuota() throws {
        #expect(try Self.decode(TenantPatch.self, #"{"stored_bytes_quota":1024}"#) == TenantPatch(storedBytesQuota: .set(1024)))
        #expect(try Self.decode(TenantPatch.self, #"{"stored_bytes_quota":null}"#) == TenantPatch(storedBytesQuota: .remove))
        #expect(try Self.decode(TenantPatch.self, #"{"description":"x"}"#) == TenantPatch(description: "x"))
        #expect(try Self.json(TenantPatch(storedBytesQuota: .remove)) == #"{"stored_bytes_quota":null}"#)
        #expect(try Self.json(TenantPatch(description: "x")) == #"{"description":"x"}"#)
    }

    @Test("an error describes itself as code: message")
    func errorDescription() {
        #expect(TapsterError(.notGranted, "no grant").description == "not_granted: no grant")
    }

    // MARK: Other shapes

    @Test("audit events are snake_case on the wire")
    func auditEventKeys() throws {
        let event = AuditChain.seal(AuditEntry(actor: "root", action: "target.created", objectType: "target", objectId: "t-1"),
                                    sequence: 1, time: Self.created, previousHash: AuditChain.genesisHash)
        let json = try Self.json(event)
        #expect(json == #"{"action":"target.created","actor":"root","details":{},"hash":""# + event.hash
                + #"","object_id":"t-1","object_type":"target","previous_hash":""# + AuditChain.genesisHash
                + #"","sequence":1,"time":"2026-11-23T18:50:31.123Z"}"#)
        #expect(try Self.decode(AuditEvent.self, json) == event)
    }

    @Test("a workload spec decodes with empty labels and interfaces when they are left out")
    func workloadDefaults() throws {
        let spec = try Self.decode(WorkloadSpec.self, #"{"name":"web-1","kind":"container","host":"node-1"}"#)
        #expect(spec == WorkloadSpec(name: "web-1", kind: .container, host: "node-1"))
    }

    @Test("lists answer {\"items\": [...]}")
    func itemList() throws {
        #expect(try Self.json(ItemList(items: ["a", "b"])) == #"{"items":["a","b"]}"#)
    }
}
