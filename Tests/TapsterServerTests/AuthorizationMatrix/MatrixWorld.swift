import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Synchronization
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterSystemTestSupport
import TapsterTestSupport
import Testing

/// The objects the authorization matrix acts on, and every caller's credentials: the capture rig's cast
/// (``CaptureAPITests/Rig``: tenants `shop` (A) and `bank` (B), alice, carol, bob, audrey, targets, filters,
/// grants, workloads, stream and store targets), plus `dora` (disabled), `otto` (one-time password),
/// `root` (an admin with a password, for the portal), two Neutron ports of `shop`, and a complete stored
/// capture of alice's. Rows that change or delete something get a fresh object per caller from here.
struct MatrixWorld: Sendable {
    let rig: CaptureAPITests.Rig
    /// API tokens (and, for the one-time-password user, his session), by caller.
    let tokens: [MatrixCaller: String]
    /// Portal session secrets, by caller (none for anonymous; the disabled user's was revoked).
    let sessions: [MatrixCaller: String]
    /// Alice's complete stored capture.
    let storedCapture: String
    /// Neutron ports (workload interface ids) of tenant `shop`.
    static let shopMonitorPort = "51111111-1111-4111-8111-111111111111"
    static let shopAppPort = "52222222-2222-4222-8222-222222222222"

    var api: API { rig.api }
    var admin: String { rig.fixture.admin }
    var alice: String { rig.fixture.alice }

    static func make(_ rig: CaptureAPITests.Rig) async throws -> MatrixWorld {
        let api = rig.api, admin = rig.fixture.admin, cp = rig.controlPlane
        _ = try await api.expect(User.self, .patch, "/api/v1/users/alice", token: admin, json: UserPatch(quota: 1000))
        var tokens: [MatrixCaller: String] = [.owner: rig.fixture.alice, .ownerWithoutGrant: rig.fixture.carol,
                                              .otherTenantOwner: rig.fixture.bob, .auditor: rig.fixture.audrey, .admin: admin]
        for (name, role, tenants) in [("dora", Role.owner, ["shop"]), ("otto", .owner, ["shop"]), ("root", .admin, [])] {
            _ = try await api.expect(User.self, .post, "/api/v1/users", token: admin,
                                     json: UserCreateRequest(name: name, role: role, tenants: tenants, password: "password-of-\(name)"))
        }
        var sessions: [MatrixCaller: String] = [:]
        for caller in [MatrixCaller.otherTenantOwner, .ownerWithoutGrant, .auditor, .owner] {
            sessions[caller] = try await cp.identity.openPortalSession(name: caller.user!, password: "password-of-\(caller.user!)", source: "test").secret
        }
        sessions[.admin] = try await cp.identity.openPortalSession(name: "root", password: "password-of-root", source: "test").secret
        // Dora had a token and a session before an admin disabled her.
        tokens[.disabled] = try await api.expect(IssuedToken.self, .post, "/api/v1/users/dora/tokens", token: admin,
                                                 json: TokenRequest(name: "before")).token
        sessions[.disabled] = try await cp.identity.openPortalSession(name: "dora", password: "password-of-dora", source: "test").secret
        _ = try await api.expect(User.self, .patch, "/api/v1/users/dora", token: admin, json: UserPatch(disabled: true))
        // Otto's password was reset: he signed in with the one-time password and has not changed it.
        _ = try await api.expect(User.self, .patch, "/api/v1/users/otto", token: admin, json: UserPatch(password: "one-time-of-otto"))
        let otto = try await cp.identity.openPortalSession(name: "otto", password: "one-time-of-otto", source: "test").secret
        tokens[.oneTimePassword] = otto
        sessions[.oneTimePassword] = otto
        for (index, (name, port)) in [("monitor-1", shopMonitorPort), ("app-1", shopAppPort)].enumerated() {
            _ = try await api.expect(Workload.self, .post, "/api/v1/workloads", token: admin, json: WorkloadSpec(
                name: name, kind: .vm, host: "node-\(index + 5)", tenant: "shop", labels: ["app": name],
                interfaces: [WorkloadInterface(id: port, name: "eth0", mac: "02:00:00:00:01:0\(index + 1)",
                                               ips: [try IPAddress(parsing: "10.0.5.\(index + 1)")])]))
        }
        let stored = try await rig.create(CaptureRequest(store: true)).capture.id
        try await rig.sendTwoHosts(stored)
        _ = try await eventually("alice's stored capture to complete") {
            try await rig.capture(stored).state == .complete ? true : nil
        }
        return MatrixWorld(rig: rig, tokens: tokens, sessions: sessions, storedCapture: stored)
    }

    /// A new portal session of the caller's (none for anonymous and the disabled user), for a request
    /// that ends it.
    func freshSession(_ caller: MatrixCaller) async throws -> String? {
        switch caller {
        case .anonymous, .disabled: return nil
        case .oneTimePassword: return try await rig.controlPlane.identity.openPortalSession(name: "otto", password: "one-time-of-otto", source: "test").secret
        case .admin: return try await rig.controlPlane.identity.openPortalSession(name: "root", password: "password-of-root", source: "test").secret
        default: return try await rig.controlPlane.identity.openPortalSession(name: caller.user!, password: "password-of-\(caller.user!)", source: "test").secret
        }
    }

    // MARK: Fresh objects

    /// A name no object has yet.
    static func unique(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

    /// A new active tap of alice's.
    func aliceTap() async throws -> String {
        try await rig.api.expect(TapView.self, .post, "/api/v1/taps", token: alice,
                                 json: TapRequest(filter: "web-to-db", target: "wireshark-1", duration: TapDuration(seconds: 600))).tap.id
    }

    /// A new tap of alice's, already stopped.
    func stoppedAliceTap() async throws -> String {
        let id = try await aliceTap()
        _ = try await rig.api.expect(Tap.self, .post, "/api/v1/taps/\(id)/stop", token: alice)
        return id
    }

    /// A new live capture of alice's: streamed for `seconds`, or stored.
    func aliceCapture(store: Bool = false, seconds: Int64 = 600) async throws -> String {
        try await rig.create(CaptureRequest(duration: TapDuration(seconds: seconds), store: store)).capture.id
    }

    func tenant() async throws -> String {
        try await rig.api.expect(Tenant.self, .post, "/api/v1/tenants", token: admin, json: TenantSpec(name: Self.unique("t"))).name
    }

    func user() async throws -> String {
        try await rig.api.expect(User.self, .post, "/api/v1/users", token: admin,
                                 json: UserCreateRequest(name: Self.unique("u"), role: .owner, tenants: ["shop"], password: "password-123456")).name
    }

    /// A new API token of alice's.
    func aliceToken() async throws -> String {
        try await rig.api.expect(IssuedToken.self, .post, "/api/v1/users/alice/tokens", token: admin,
                                 json: TokenRequest(name: Self.unique("tok"))).tokenInfo.id
    }

    func shopTarget() async throws -> String {
        try await rig.api.expect(Target.self, .post, "/api/v1/targets", token: admin, json: TargetSpec(
            name: Self.unique("tg"), tenant: "shop", kind: .gre, destination: try IPAddress(parsing: "192.0.2.99"))).name
    }

    func shopFilter() async throws -> String {
        try await rig.api.expect(FilterView.self, .post, "/api/v1/filters", token: admin, json: FilterSpec(
            name: Self.unique("f"), tenant: "shop", selector: try LabelSelector(parsing: "app=web"))).filter.name
    }

    /// A new grant to carol of a new shop filter with `shop-recorder`.
    func grant() async throws -> String {
        try await rig.api.expect(Grant.self, .post, "/api/v1/grants", token: admin, json: GrantSpec(
            user: "carol", filter: try await shopFilter(), target: "shop-recorder", maxDuration: try TapDuration(parsing: "1h"))).id
    }

    /// Alice's grant of `web-to-db` with `wireshark-1`.
    func alicesGrant() async throws -> String {
        let grants = try await rig.api.expect(ItemList<Grant>.self, .get, "/api/v1/grants", token: admin).items
        return try #require(grants.first { $0.user == "alice" && $0.filter == "web-to-db" && $0.target == "wireshark-1" }).id
    }

    func shopWorkload() async throws -> String {
        try await rig.api.expect(Workload.self, .post, "/api/v1/workloads", token: admin, json: WorkloadSpec(
            name: Self.unique("w"), kind: .netns, host: "node-1", tenant: "shop", labels: ["app": "spare"])).id
    }

    func webWorkload() async throws -> String {
        let workloads = try await rig.api.expect(ItemList<Workload>.self, .get, "/api/v1/workloads", token: admin).items
        return try #require(workloads.first { $0.name == "web-1" }).id
    }

    // MARK: Neutron objects, made by alice through the Neutron API (tap mirrors: by the admin)

    func neutron(_ method: HTTPRequest.Method, _ path: String, json: String, token: String? = nil) async throws -> [String: Any] {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[HTTPField.Name("X-Auth-Token")!] = token ?? alice
        let response = try await rig.api.client.execute(uri: path, method: method, headers: headers, body: .init(string: json))
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
        guard (200..<300).contains(Int(response.status.code)) else {
            throw UnexpectedReply(method: method, path: path, status: Int(response.status.code), body: "\(object)")
        }
        return object
    }

    func tapService() async throws -> String {
        let answer = try await neutron(.post, "/v2.0/taas/tap_services",
                                       json: #"{"tap_service": {"name": "svc", "port_id": "\#(Self.shopMonitorPort)"}}"#)
        return try #require((answer["tap_service"] as? [String: Any])?["id"] as? String)
    }

    func tapFlow() async throws -> String {
        let service = try await tapService()
        let answer = try await neutron(.post, "/v2.0/taas/tap_flows", json: """
            {"tap_flow": {"name": "flow", "tap_service_id": "\(service)", "source_port": "\(Self.shopAppPort)", "direction": "BOTH"}}
            """)
        return try #require((answer["tap_flow"] as? [String: Any])?["id"] as? String)
    }

    func tapMirror() async throws -> String {
        // Only admins make tap mirrors: they send traffic to any remote address.
        let answer = try await neutron(.post, "/v2.0/taas/tap_mirrors", json: Self.mirrorBody(), token: admin)
        return try #require((answer["tap_mirror"] as? [String: Any])?["id"] as? String)
    }

    /// Tap mirrors made so far: each gets a tunnel of its own (remote address and session id).
    static let mirrors = Atomic<Int>(0)

    /// A tap mirror from the shop app's port, to a tunnel no other mirror uses.
    static func mirrorBody() -> String {
        let n = mirrors.add(1, ordering: .relaxed).newValue
        return #"{"tap_mirror": {"name": "to-ids", "port_id": "\#(shopAppPort)", "directions": {"IN": \#(n)}, "remote_ip": "192.0.2.\#(100 + n)", "mirror_type": "erspanv1"}}"#
    }
}
