import Foundation
import HTTPTypes
import Testing
import TapsterAPI
import TapsterCore
import TapsterServer
import TapsterStore
import TapsterTestSupport

/// What owners, auditors and strangers may and may not do, over HTTP, on every store.
@Suite struct PolicyTests {
    @Test(arguments: StoreKind.available)
    func ownerWithoutAGrantForThePairIsRefusedNotGranted(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let (status, error) = try await api.failure(.post, "/api/v1/taps", token: fixture.alice,
                                                        json: TapRequest(filter: "web-to-db", target: "shop-recorder", duration: TapDuration(seconds: 60)))
            #expect(status == 403)
            #expect(error.code == .notGranted)
            #expect(error.message == "you have no grant to use filter \"web-to-db\" with target \"shop-recorder\"")
        }
    }

    @Test(arguments: StoreKind.available)
    func durationPastTheGrantIsRefusedWith422(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let (status, error) = try await api.failure(.post, "/api/v1/taps", token: fixture.alice,
                                                        json: TapRequest(filter: "web-to-db", target: "wireshark-1", duration: TapDuration(seconds: 7200)))
            #expect(status == 422)
            #expect(error.code == .durationExceedsGrant)
            #expect(error.field == "duration")
        }
    }

    @Test(arguments: StoreKind.available)
    func ownerAtQuotaIsRefusedQuotaExceeded(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            _ = try await api.expect(User.self, .patch, "/api/v1/users/alice", token: fixture.admin, json: UserPatch(quota: 2))
            _ = try await fixture.aliceTap(api)
            _ = try await fixture.aliceTap(api)
            let (status, error) = try await api.failure(.post, "/api/v1/taps", token: fixture.alice,
                                                        json: TapRequest(filter: "web-to-db", target: "wireshark-1", duration: TapDuration(seconds: 60)))
            #expect(status == 409)
            #expect(error.code == .quotaExceeded)
        }
    }

    @Test(arguments: StoreKind.available)
    func defaultQuotaIsEightLiveTaps(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            for _ in 0..<8 { _ = try await fixture.aliceTap(api) }
            let (status, error) = try await api.failure(.post, "/api/v1/taps", token: fixture.alice,
                                                        json: TapRequest(filter: "web-to-db", target: "wireshark-1", duration: TapDuration(seconds: 60)))
            #expect(status == 409)
            #expect(error.code == .quotaExceeded)
        }
    }

    @Test(arguments: StoreKind.available)
    func concurrentRequestsCannotPassTheQuotaTogether(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            _ = try await Fixture.make(api)
            // Straight to the control plane from 20 tasks: the test client has a single connection,
            // which would send the requests one after the other.
            let alice = try #require(try await controlPlane.store.findUser("alice")).principal
            let request = TapRequest(filter: "web-to-db", target: "wireshark-1", duration: TapDuration(seconds: 60))
            let outcomes = try await withThrowingTaskGroup(of: ErrorCode?.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        do {
                            _ = try await controlPlane.tapCreation.createTap(alice, request)
                            return nil
                        } catch let error as TapsterError {
                            return error.code
                        }
                    }
                }
                return try await group.reduce(into: [ErrorCode?]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == nil }.count == 8)
            #expect(outcomes.filter { $0 == .quotaExceeded }.count == 12)
        }
    }

    @Test(arguments: StoreKind.available)
    func anotherTenantsTapIsNotFoundForAnOwner(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let bobs = try await api.expect(TapView.self, .post, "/api/v1/taps", token: fixture.bob,
                                            json: TapRequest(filter: "bank-filter", target: "bank-tool", duration: TapDuration(seconds: 60)))
            for (method, path) in [("GET", "/api/v1/taps/\(bobs.tap.id)"), ("POST", "/api/v1/taps/\(bobs.tap.id)/stop")] {
                let (status, error) = try await api.failure(method == "GET" ? .get : .post, path, token: fixture.alice)
                #expect(status == 404)
                #expect(error.code == .notFound)
            }
            let list = try await api.expect(ItemList<Tap>.self, .get, "/api/v1/taps", token: fixture.alice)
            #expect(list.items.isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func anotherTenantsTargetAndFilterAreNotFoundForAnOwner(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            for path in ["/api/v1/targets/bank-tool", "/api/v1/filters/bank-filter"] {
                let (status, error) = try await api.failure(.get, path, token: fixture.alice)
                #expect(status == 404)
                #expect(error.code == .notFound)
            }
            let targets = try await api.expect(ItemList<Target>.self, .get, "/api/v1/targets", token: fixture.alice)
            #expect(targets.items.map(\.name) == ["shop-recorder", "wireshark-1"])
        }
    }

    @Test(arguments: StoreKind.available)
    func usingAnotherTenantsTargetIsNotFoundRatherThanNotGranted(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let (status, error) = try await api.failure(.post, "/api/v1/taps", token: fixture.alice,
                                                        json: TapRequest(filter: "web-to-db", target: "bank-tool", duration: TapDuration(seconds: 60)))
            #expect(status == 404)
            #expect(error.code == .notFound)
        }
    }

    @Test(arguments: StoreKind.available)
    func ownersCannotCreateTargetsFiltersGrantsTenantsOrUsers(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let attempts: [(String, any Encodable & Sendable)] = [
                ("/api/v1/targets", TargetSpec(name: "mine", kind: .stream)),
                ("/api/v1/filters", FilterSpec(name: "mine", selector: try LabelSelector(parsing: "app=web"))),
                ("/api/v1/grants", GrantSpec(user: "alice", filter: "web-to-db", target: "shop-recorder", maxDuration: TapDuration(seconds: 60))),
                ("/api/v1/tenants", TenantSpec(name: "mine")),
                ("/api/v1/users", UserCreateRequest(name: "mallory", role: .admin)),
            ]
            for (path, body) in attempts {
                let (status, error) = try await api.failure(.post, path, token: fixture.alice, json: body)
                #expect(status == 403, "\(path)")
                #expect(error.code == .forbidden, "\(path)")
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func auditorReadsEverythingAcrossTenants(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let bobs = try await api.expect(TapView.self, .post, "/api/v1/taps", token: fixture.bob,
                                            json: TapRequest(filter: "bank-filter", target: "bank-tool", duration: TapDuration(seconds: 60)))
            _ = try await fixture.aliceTap(api)
            #expect(try await api.expect(ItemList<Tap>.self, .get, "/api/v1/taps", token: fixture.audrey).items.count == 2)
            #expect(try await api.expect(Tap.self, .get, "/api/v1/taps/\(bobs.tap.id)", token: fixture.audrey).owner == "bob")
            #expect(try await api.expect(ItemList<Target>.self, .get, "/api/v1/targets", token: fixture.audrey).items.count == 3)
            #expect(try await api.expect(ItemList<User>.self, .get, "/api/v1/users", token: fixture.audrey).items.count == 5)
            #expect(try await api.expect(AuditVerification.self, .get, "/api/v1/audit/verify", token: fixture.audrey).valid)
        }
    }

    @Test(arguments: StoreKind.available)
    func auditorChangesNothing(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let tap = try await fixture.aliceTap(api)
            let attempts: [(String, (any Encodable & Sendable)?)] = [
                ("/api/v1/taps", TapRequest(filter: "web-to-db", target: "wireshark-1", duration: TapDuration(seconds: 60))),
                ("/api/v1/taps/\(tap.tap.id)/stop", nil),
                ("/api/v1/targets", TargetSpec(name: "audit-tool", kind: .stream)),
                ("/api/v1/tenants", TenantSpec(name: "audit")),
            ]
            for (path, body) in attempts {
                let (status, error) = try await api.failure(.post, path, token: fixture.audrey, json: body)
                #expect(status == 403, "\(path)")
                #expect(error.code == .forbidden, "\(path)")
            }
            let (status, _) = try await api.failure(.delete, "/api/v1/targets/wireshark-1", token: fixture.audrey)
            #expect(status == 403)
        }
    }

    @Test(arguments: StoreKind.available)
    func ownerSeesOnlyTheirTenantsAuditEvents(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            _ = try await fixture.aliceTap(api)
            _ = try await api.expect(TapView.self, .post, "/api/v1/taps", token: fixture.bob,
                                     json: TapRequest(filter: "bank-filter", target: "bank-tool", duration: TapDuration(seconds: 60)))
            let events = try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&action=tap.", token: fixture.alice)
            #expect(events.items.map(\.tenant) == ["shop"])
            let (status, _) = try await api.failure(.get, "/api/v1/audit/verify", token: fixture.alice)
            #expect(status == 403)
        }
    }

    @Test(arguments: StoreKind.available)
    func requestWithoutTokenIsUnauthenticated(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let (status, error) = try await api.failure(.get, "/api/v1/taps", token: nil)
            #expect(status == 401)
            #expect(error.code == .unauthenticated)
        }
    }

    @Test(arguments: StoreKind.available)
    func requestWithUnknownTokenIsUnauthenticated(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let (status, error) = try await api.failure(.get, "/api/v1/taps", token: "tap_not_a_real_token")
            #expect(status == 401)
            #expect(error.code == .unauthenticated)
            #expect(error.message == "the API token is not valid")
        }
    }
}
