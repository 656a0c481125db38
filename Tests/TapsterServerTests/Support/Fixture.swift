import Foundation
import HTTPTypes
import TapsterAPI
import TapsterCore

/// The standard cast of the API tests: two tenants, their owners, an auditor, a target, a
/// filter, a grant and two workloads — created through the API as the admin.
///
/// Targets: `wireshark-1` (shared), `shop-recorder` (shop, granted to nobody), `bank-tool` (bank).
/// - `shop`: owner `alice` (granted `web-to-db` × `wireshark-1` for up to 1h), owner `carol`
///   (same tenant, no grant of her own);
/// - `bank`: owner `bob` (granted `bank-filter` × `bank-tool` for up to 1h);
/// - `audrey`: auditor.
struct Fixture: Sendable {
    let admin = TestServer.adminToken
    let alice: String
    let carol: String
    let bob: String
    let audrey: String

    static func make(_ api: API) async throws -> Fixture {
        let admin = TestServer.adminToken
        for tenant in ["shop", "bank"] {
            _ = try await api.expect(Tenant.self, .post, "/api/v1/tenants", token: admin, json: TenantSpec(name: tenant))
        }
        let users: [(String, Role, [String])] = [("alice", .owner, ["shop"]), ("carol", .owner, ["shop"]), ("bob", .owner, ["bank"]), ("audrey", .auditor, [])]
        var tokens: [String: String] = [:]
        for (name, role, tenants) in users {
            _ = try await api.expect(User.self, .post, "/api/v1/users", token: admin,
                                     json: UserCreateRequest(name: name, role: role, tenants: tenants, password: "password-of-\(name)"))
            tokens[name] = try await api.expect(IssuedToken.self, .post, "/api/v1/users/\(name)/tokens", token: admin,
                                                json: TokenRequest(name: "test")).token
        }
        _ = try await api.expect(Target.self, .post, "/api/v1/targets", token: admin, json: TargetSpec(
            name: "wireshark-1", kind: .erspan, destination: try IPAddress(parsing: "192.0.2.10"), sessionId: 42))
        _ = try await api.expect(Target.self, .post, "/api/v1/targets", token: admin, json: TargetSpec(
            name: "bank-tool", tenant: "bank", kind: .vxlan, destination: try IPAddress(parsing: "192.0.2.20"), vni: 7))
        _ = try await api.expect(Target.self, .post, "/api/v1/targets", token: admin, json: TargetSpec(
            name: "shop-recorder", tenant: "shop", kind: .gre, destination: try IPAddress(parsing: "192.0.2.30")))
        _ = try await api.expect(FilterView.self, .post, "/api/v1/filters", token: admin, json: FilterSpec(
            name: "web-to-db", tenant: "shop", selector: try LabelSelector(parsing: "app=web"),
            peerSelector: try LabelSelector(parsing: "app=db"), bpf: "tcp port 5432"))
        _ = try await api.expect(FilterView.self, .post, "/api/v1/filters", token: admin, json: FilterSpec(
            name: "bank-filter", tenant: "bank", selector: try LabelSelector(parsing: "app=ledger")))
        _ = try await api.expect(Grant.self, .post, "/api/v1/grants", token: admin, json: GrantSpec(
            user: "alice", filter: "web-to-db", target: "wireshark-1", maxDuration: try TapDuration(parsing: "1h")))
        _ = try await api.expect(Grant.self, .post, "/api/v1/grants", token: admin, json: GrantSpec(
            user: "bob", filter: "bank-filter", target: "bank-tool", maxDuration: try TapDuration(parsing: "1h")))
        for (index, (name, host, app)) in [("web-1", "node-1", "web"), ("web-2", "node-2", "web"), ("db-1", "node-2", "db")].enumerated() {
            _ = try await api.expect(Workload.self, .post, "/api/v1/workloads", token: admin, json: WorkloadSpec(
                name: name, kind: .netns, host: host, tenant: "shop", labels: ["app": app],
                interfaces: [WorkloadInterface(name: "eth0", ips: [try IPAddress(parsing: "10.0.0.\(index + 1)")])]))
        }
        return Fixture(alice: tokens["alice"]!, carol: tokens["carol"]!, bob: tokens["bob"]!, audrey: tokens["audrey"]!)
    }

    /// Alice opens a tap with her grant.
    func aliceTap(_ api: API, for duration: String = "15m") async throws -> TapView {
        try await api.expect(TapView.self, .post, "/api/v1/taps", token: alice,
                             json: TapRequest(filter: "web-to-db", target: "wireshark-1", duration: try TapDuration(parsing: duration)))
    }
}
