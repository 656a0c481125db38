import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Synchronization
import TapsterAPI
import TapsterCore
import TapsterServer
import TapsterTestSupport
import Testing

/// A client of the Neutron compatibility API: `X-Auth-Token` authentication, raw JSON bodies,
/// answers read as JSON objects.
struct NeutronAPI: Sendable {
    let client: any TestClientProtocol

    /// One answer: status and body.
    struct Reply: Sendable {
        let status: Int
        let body: Data
        let headers: HTTPFields

        var object: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
        /// The object in an envelope: `member("tap_service")`.
        func member(_ key: String) -> [String: Any] { object[key] as? [String: Any] ?? [:] }
        /// The list in an envelope: `list("tap_services")`.
        func list(_ key: String) -> [[String: Any]] { object[key] as? [[String: Any]] ?? [] }
        /// The ids of the list in an envelope.
        func ids(_ key: String) -> Set<String> { Set(list(key).compactMap { $0["id"] as? String }) }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func call(_ method: HTTPRequest.Method, _ path: String, token: String?, json: String? = nil,
              accept: String = "application/json") async throws -> Reply {
        var headers: HTTPFields = [.contentType: "application/json", .accept: accept]
        if let token { headers[HTTPField.Name("X-Auth-Token")!] = token }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
        return Reply(status: Int(response.status.code), body: Data(response.body.readableBytesView), headers: response.headers)
    }

    /// Calls and returns the object in the `member` envelope of a 2xx answer; records an issue otherwise.
    func expect(_ status: Int, _ method: HTTPRequest.Method, _ path: String, token: String?, json: String? = nil,
                member: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        let reply = try await call(method, path, token: token, json: json)
        #expect(reply.status == status, "\(method) \(path): \(reply.text)", sourceLocation: sourceLocation)
        return reply.member(member)
    }

    /// Calls and checks the answer is a Neutron error of this status and type, in Neutron's shape.
    @discardableResult
    func failure(_ status: Int, _ type: String, _ method: HTTPRequest.Method, _ path: String, token: String?, json: String? = nil,
                 sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let reply = try await call(method, path, token: token, json: json)
        #expect(reply.status == status, "\(method) \(path): \(reply.text)", sourceLocation: sourceLocation)
        Self.expectNeutronError(reply, type: type, sourceLocation: sourceLocation)
        return (reply.member("NeutronError")["message"] as? String) ?? ""
    }

    /// The body is exactly `{"NeutronError": {"type": type, "message": "…", "detail": ""}}`.
    static func expectNeutronError(_ reply: Reply, type: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = reply.member("NeutronError")
        #expect(Set(reply.object.keys) == ["NeutronError"], "\(reply.text)", sourceLocation: sourceLocation)
        #expect(Set(error.keys) == ["type", "message", "detail"], "\(reply.text)", sourceLocation: sourceLocation)
        #expect(error["type"] as? String == type, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(!((error["message"] as? String) ?? "").isEmpty, sourceLocation: sourceLocation)
        #expect(error["detail"] as? String == "", sourceLocation: sourceLocation)
    }
}

/// The standard ``Fixture`` plus ports of known ids: in `shop`, `monitor-1/eth0` (a monitoring VM)
/// and `app-1/eth0`; in `bank`, `ledger-1/eth0` and `bank-mon/eth0`. Also `dave`, an owner of
/// both tenants.
struct NeutronFixture: Sendable {
    let base: Fixture
    let dave: String
    let shopMonitor = "11111111-1111-4111-8111-111111111111"
    let shopApp = "22222222-2222-4222-8222-222222222222"
    let bankLedger = "33333333-3333-4333-8333-333333333333"
    let bankMonitor = "44444444-4444-4444-8444-444444444444"

    var admin: String { base.admin }
    var alice: String { base.alice }
    var bob: String { base.bob }
    var audrey: String { base.audrey }

    static func make(_ api: API) async throws -> NeutronFixture {
        let base = try await Fixture.make(api)
        _ = try await api.expect(User.self, .post, "/api/v1/users", token: base.admin,
                                 json: UserCreateRequest(name: "dave", role: .owner, tenants: ["shop", "bank"]))
        let dave = try await api.expect(IssuedToken.self, .post, "/api/v1/users/dave/tokens", token: base.admin,
                                        json: TokenRequest(name: "test")).token
        let fixture = NeutronFixture(base: base, dave: dave)
        let workloads = [("monitor-1", "node-1", "shop", fixture.shopMonitor, "10.0.0.50"), ("app-1", "node-2", "shop", fixture.shopApp, "10.0.0.60"),
                         ("ledger-1", "node-3", "bank", fixture.bankLedger, "10.1.0.10"), ("bank-mon", "node-3", "bank", fixture.bankMonitor, "10.1.0.50")]
        for (index, (name, host, tenant, port, ip)) in workloads.enumerated() {
            _ = try await api.expect(Workload.self, .post, "/api/v1/workloads", token: base.admin, json: WorkloadSpec(
                name: name, kind: .vm, host: host, tenant: tenant, labels: ["app": name],
                interfaces: [WorkloadInterface(id: port, name: "eth0", mac: "02:00:00:00:00:0\(index + 1)", ips: [try IPAddress(parsing: ip)])]))
        }
        return fixture
    }

    /// Creates a tap service on `port` as `token` and returns its id.
    func service(_ neutron: NeutronAPI, on port: String, token: String, name: String = "svc") async throws -> String {
        let service = try await neutron.expect(201, .post, "/v2.0/taas/tap_services", token: token,
                                               json: #"{"tap_service": {"name": "\#(name)", "port_id": "\#(port)"}}"#, member: "tap_service")
        return try #require(service["id"] as? String)
    }

    /// Creates a tap flow from `port` into `service` as `token` and returns it.
    func flow(_ neutron: NeutronAPI, from port: String, into service: String, token: String, direction: String = "BOTH",
              extra: String = "") async throws -> [String: Any] {
        try await neutron.expect(201, .post, "/v2.0/taas/tap_flows", token: token, json: """
            {"tap_flow": {"name": "flow", "tap_service_id": "\(service)", "source_port": "\(port)", "direction": "\(direction)"\(extra)}}
            """, member: "tap_flow")
    }
}

/// Runs `body` against a server on a fresh database of `kind`, with the Neutron fixture, whose
/// clock can be moved forward (``MovableClock``).
func withNeutronServer(_ kind: StoreKind, clock: MovableClock = MovableClock(),
                       _ body: @Sendable (API, NeutronAPI, NeutronFixture, ControlPlane) async throws -> Void) async throws {
    try await TestServer.run(kind, clock: { clock.now }) { api, controlPlane in
        let fixture = try await NeutronFixture.make(api)
        try await body(api, NeutronAPI(client: api.client), fixture, controlPlane)
    }
}

/// A clock tests move forward by hand, to reach deadlines without waiting.
final class MovableClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)

    var now: Date { Date().addingTimeInterval(offset.withLock { $0 }) }

    func advance(by seconds: TimeInterval) {
        offset.withLock { $0 += seconds }
    }
}
