import HTTPTypes
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterStore
import Testing

extension MatrixRow {
    /// Four-eyes approval: only an admin who did not ask decides (alice, the requester, is refused like any owner).
    static let approvals: [MatrixRow] = [
        MatrixRow(.post, "/api/v1/taps/{id}/approve", .api(owner: 403, withoutGrant: 403, otherTenant: 404, auditor: 403, admin: 200)) { world, _ in
            MatrixRequest(path: "/api/v1/taps/\(try await world.pendingAliceTap())/approve", json: "{}")
        },
        MatrixRow(.post, "/api/v1/taps/{id}/reject", .api(owner: 403, withoutGrant: 403, otherTenant: 404, auditor: 403, admin: 200)) { world, _ in
            MatrixRequest(path: "/api/v1/taps/\(try await world.pendingAliceTap())/reject", json: #"{"reason": "not now"}"#)
        },
        MatrixRow(.get, "/api/v1/policy/approval", .api(everyone: 200)),
        MatrixRow(.put, "/api/v1/policy/approval", adminOnly(200), json: #"{"approval_for_full_payload": false}"#),

        // The console's approval queue: admins and auditors see it, admins decide (alice, the requester, is an owner: 403).
        MatrixRow(.get, "/admin/approvals", consolePage),
        MatrixRow(.post, "/admin/approvals/{id}/approve", consoleForm(303)) { world, _ in
            MatrixRequest(path: "/admin/approvals/\(try await world.pendingAliceTap())/approve", form: [:])
        },
        MatrixRow(.post, "/admin/approvals/{id}/reject", consoleForm(303)) { world, _ in
            MatrixRequest(path: "/admin/approvals/\(try await world.pendingAliceTap())/reject", form: ["reason": "not now"])
        },
    ]
}

extension MatrixWorld {
    /// A new tap of alice's waiting for approval: through a grant of its own (to a new copy of `wireshark-1`) that requires it.
    func pendingAliceTap() async throws -> String {
        var spec = try #require(try await rig.controlPlane.store.find("wireshark-1", in: .targets)).spec
        spec.name = Self.unique("approved-tool")
        _ = try await rig.api.expect(Target.self, .post, "/api/v1/targets", token: admin, json: spec)
        _ = try await rig.api.expect(Grant.self, .post, "/api/v1/grants", token: admin,
                                     json: GrantSpec(user: "alice", filter: "web-to-db", target: spec.name,
                                                     maxDuration: TapDuration(seconds: 3600), approval: .required))
        let view = try await rig.api.expect(TapView.self, .post, "/api/v1/taps", token: alice,
                                            json: TapRequest(filter: "web-to-db", target: spec.name, duration: TapDuration(seconds: 600)))
        return view.tap.id
    }
}
