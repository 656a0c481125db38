import Foundation
import HTTPTypes
import Testing
@testable import TapsterServer
import TapsterAPI
import TapsterCore
import TapsterStore
import TapsterTestSupport

/// Taking access away ends it at once: a deleted grant stops the taps it admitted, a deleted or disabled user
/// loses their taps, tokens and sessions, leaving a tenant stops the taps there, and a password reset signs
/// the user out everywhere.
@Suite struct RevocationTests {
    private static let live = Set(TapState.allCases.filter(\.isLive))

    /// The id of the grant addressed to `user`.
    private static func grantID(of user: String, _ api: API) async throws -> String {
        let grants = try await api.expect(ItemList<Grant>.self, .get, "/api/v1/grants", token: TestServer.adminToken).items
        return try #require(grants.first { $0.user == user }).id
    }

    /// The taps the agents would be sent now, planned from the store as the agent hub plans them.
    private static func plannedTapIDs(_ store: any Store) async throws -> Set<String> {
        let plans = DesiredTapsPlanner.plan(try await .init(
            taps: store.listTaps(TapQuery(states: live)), filters: store.list(.filters, tenants: nil),
            targets: store.list(.targets, tenants: nil), workloads: store.list(.workloads, tenants: nil),
            agents: ["node-1", "node-2"].map { Agent(name: $0, state: .connected, createdAt: Date()) }, now: Date()))
        return Set(plans.values.flatMap(\.taps).map(\.tapID))
    }

    private static func tap(_ id: String, _ api: API) async throws -> Tap {
        try await api.expect(Tap.self, .get, "/api/v1/taps/\(id)", token: TestServer.adminToken)
    }

    @Test(arguments: StoreKind.available)
    func deletingAGrantStopsTheLiveTapItAdmittedAndTheAgentsPlanDropsIt(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let fixture = try await Fixture.make(api)
            let tap = try await fixture.aliceTap(api).tap
            #expect(try await Self.plannedTapIDs(controlPlane.store).contains(tap.id))
            let grant = try await Self.grantID(of: "alice", api)
            _ = try await api.call(.delete, "/api/v1/grants/\(grant)", token: fixture.admin)
            let stopped = try await Self.tap(tap.id, api)
            #expect(stopped.state == .stopped)
            #expect(stopped.stoppedBy == .admin)
            #expect(!(try await Self.plannedTapIDs(controlPlane.store).contains(tap.id)))
            let events = try await api.expect(AuditPage.self, .get, "/api/v1/audit?tap=\(tap.id)&action=tap.stopped", token: fixture.admin).items
            #expect(events.map(\.actor) == ["admin"])
            #expect(events.first?.details["reason"] == "grant \(grant) was deleted")
        }
    }

    @Test(arguments: StoreKind.available)
    func aTapAnotherGrantStillAdmitsKeepsRunningWhenOneGrantIsDeleted(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let tap = try await fixture.aliceTap(api).tap
            _ = try await api.expect(Grant.self, .post, "/api/v1/grants", token: fixture.admin, json: GrantSpec(
                tenant: "shop", filter: "web-to-db", target: "wireshark-1", maxDuration: try TapDuration(parsing: "1h")))
            _ = try await api.call(.delete, "/api/v1/grants/\(try await Self.grantID(of: "alice", api))", token: fixture.admin)
            #expect(try await Self.tap(tap.id, api).state == .active)
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingAUserStopsTheirTapsAndTheirTokenStopsWorking(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            // Carol taps through her tenant's grant (a user with grants of their own cannot be deleted).
            _ = try await api.expect(Grant.self, .post, "/api/v1/grants", token: fixture.admin, json: GrantSpec(
                tenant: "shop", filter: "web-to-db", target: "wireshark-1", maxDuration: try TapDuration(parsing: "1h")))
            let tap = try await api.expect(TapView.self, .post, "/api/v1/taps", token: fixture.carol,
                                           json: TapRequest(filter: "web-to-db", target: "wireshark-1", duration: try TapDuration(parsing: "15m"))).tap
            #expect(try await api.call(.delete, "/api/v1/users/carol", token: fixture.admin).status == 204)
            #expect(try await Self.tap(tap.id, api).state == .stopped)
            let (status, error) = try await api.failure(.get, "/api/v1/whoami", token: fixture.carol)
            #expect(status == 401)
            #expect(error.code == .unauthenticated)
        }
    }

    @Test(arguments: StoreKind.available)
    func disablingAUserStopsTheirTapsRevokesTheirTokensAndRefusesTheirLogin(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let fixture = try await Fixture.make(api)
            let tap = try await fixture.aliceTap(api).tap
            let session = try await controlPlane.identity.openPortalSession(name: "alice", password: "password-of-alice", source: "192.0.2.1").secret
            let disabled = try await api.expect(User.self, .patch, "/api/v1/users/alice", token: fixture.admin, json: UserPatch(disabled: true))
            #expect(disabled.disabled)
            #expect(try await Self.tap(tap.id, api).state == .stopped)
            for token in [fixture.alice, session] {
                #expect(try await api.failure(.get, "/api/v1/whoami", token: token).status == 401)
            }
            #expect(try await controlPlane.store.listTokens(userID: disabled.id).isEmpty)
            let (status, error) = try await api.failure(.post, "/api/v1/login", token: nil, json: LoginRequest(name: "alice", password: "password-of-alice"))
            #expect(status == 401)
            #expect(error.message == "user alice is disabled")
        }
    }

    @Test(arguments: StoreKind.available)
    func anEnabledUserSignsInAgainButTheirOldTokensStayRevoked(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            _ = try await api.expect(User.self, .patch, "/api/v1/users/alice", token: fixture.admin, json: UserPatch(disabled: true))
            let enabled = try await api.expect(User.self, .patch, "/api/v1/users/alice", token: fixture.admin, json: UserPatch(disabled: false))
            #expect(!enabled.disabled)
            let login = try await api.expect(IssuedToken.self, .post, "/api/v1/login", token: nil,
                                             json: LoginRequest(name: "alice", password: "password-of-alice"))
            #expect(try await api.expect(User.self, .get, "/api/v1/whoami", token: login.token).name == "alice")
            #expect(try await api.failure(.get, "/api/v1/whoami", token: fixture.alice).status == 401)
        }
    }

    @Test(arguments: StoreKind.available)
    func onlyAdminsDisableUsers(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let (status, error) = try await api.failure(.patch, "/api/v1/users/alice", token: fixture.alice, json: UserPatch(disabled: true))
            #expect(status == 403)
            #expect(error.code == .forbidden)
        }
    }

    @Test(arguments: StoreKind.available)
    func removingAUserFromATenantStopsTheirTapsInIt(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            _ = try await api.expect(User.self, .patch, "/api/v1/users/alice", token: fixture.admin, json: UserPatch(tenants: ["shop", "bank"]))
            let tap = try await fixture.aliceTap(api).tap
            #expect(tap.tenant == "shop")
            _ = try await api.expect(User.self, .patch, "/api/v1/users/alice", token: fixture.admin, json: UserPatch(tenants: ["bank"]))
            let stopped = try await Self.tap(tap.id, api)
            #expect(stopped.state == .stopped)
            #expect(stopped.stoppedBy == .admin)
        }
    }

    @Test(arguments: StoreKind.available)
    func anAdminResetRevokesEverySessionAndTokenOfTheUser(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let fixture = try await Fixture.make(api)
            let session = try await controlPlane.identity.openPortalSession(name: "alice", password: "password-of-alice", source: "192.0.2.1").secret
            _ = try await api.expect(User.self, .patch, "/api/v1/users/alice", token: fixture.admin, json: UserPatch(password: "one-time-for-alice"))
            for token in [fixture.alice, session] {
                #expect(try await api.failure(.get, "/api/v1/whoami", token: token).status == 401)
            }
            let events = try await api.expect(AuditPage.self, .get, "/api/v1/audit?action=user.password_changed&actor=admin", token: fixture.admin)
            #expect(events.items.first?.details["revoked_tokens"] == "2")
        }
    }

    @Test(arguments: StoreKind.available)
    func changingYourPasswordWithRevokeOtherSessionsKeepsOnlyTheOneAsking(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let login = try await api.expect(IssuedToken.self, .post, "/api/v1/login", token: nil,
                                             json: LoginRequest(name: "alice", password: "password-of-alice")).token
            _ = try await api.expect(User.self, .patch, "/api/v1/users/alice", token: login, json: UserPatch(
                password: "new-password-of-alice", currentPassword: "password-of-alice", revokeOtherSessions: true))
            #expect(try await api.expect(User.self, .get, "/api/v1/whoami", token: login).name == "alice")
            #expect(try await api.failure(.get, "/api/v1/whoami", token: fixture.alice).status == 401)
        }
    }

    @Test(arguments: StoreKind.available)
    func changingYourPasswordWithoutRevokingKeepsYourOtherTokens(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            _ = try await api.expect(User.self, .patch, "/api/v1/users/alice", token: fixture.alice, json: UserPatch(
                password: "new-password-of-alice", currentPassword: "password-of-alice"))
            #expect(try await api.expect(User.self, .get, "/api/v1/whoami", token: fixture.alice).name == "alice")
        }
    }
}
