import Foundation
import HTTPTypes
import Testing
import TapsterAPI
import TapsterCore
import TapsterTestSupport

/// Bad input gets a clear JSON error with a stable code, and changes nothing.
@Suite struct ValidationTests {
    @Test(arguments: StoreKind.available)
    func invalidBPFIsRejectedWithLibpcapsMessage(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let (status, error) = try await api.failure(.post, "/api/v1/filters", token: TestServer.adminToken,
                                                        raw: #"{"name":"bad","selector":"app=web","bpf":"tcp port"}"#)
            #expect(status == 400)
            #expect(error.code == .invalidBPF)
            #expect(error.field == "bpf")
            #expect(error.message == "bpf: can't parse filter expression: syntax error")
            let filters = try await api.expect(ItemList<FilterView>.self, .get, "/api/v1/filters", token: TestServer.adminToken)
            #expect(filters.items.isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func bodyThatIsNotJSONIsMalformed(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let (status, error) = try await api.failure(.post, "/api/v1/tenants", token: TestServer.adminToken, raw: "{name: shop")
            #expect(status == 400)
            #expect(error.code == .malformedJSON)
        }
    }

    @Test(arguments: StoreKind.available)
    func missingRequiredFieldIsNamed(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let (status, error) = try await api.failure(.post, "/api/v1/filters", token: TestServer.adminToken, raw: #"{"name":"f"}"#)
            #expect(status == 400)
            #expect(error.code == .invalidArgument)
            #expect(error.field == "selector")
            #expect(error.message == "selector: is required")
        }
    }

    @Test(arguments: StoreKind.available)
    func invalidSelectorIsNamedWithTheReason(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let (status, error) = try await api.failure(.post, "/api/v1/filters", token: TestServer.adminToken,
                                                        raw: #"{"name":"f","selector":"tier in front"}"#)
            #expect(status == 400)
            #expect(error.code == .invalidArgument)
            #expect(error.field == "selector")
            #expect(error.message.contains("'in' needs a list in parentheses"))
        }
    }

    @Test(arguments: StoreKind.available)
    func erspanSessionIdOutsideRangeIsRejected(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let (status, error) = try await api.failure(.post, "/api/v1/targets", token: TestServer.adminToken,
                                                        raw: #"{"name":"t","kind":"erspan","destination":"192.0.2.1","session_id":2000}"#)
            #expect(status == 400)
            #expect(error.code == .invalidArgument)
            #expect(error.field == "session_id")
            #expect(error.message == "session_id: 2000 is outside 1–1023")
        }
    }

    @Test(arguments: StoreKind.available)
    func invalidDestinationAddressIsRejected(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let (status, error) = try await api.failure(.post, "/api/v1/targets", token: TestServer.adminToken,
                                                        raw: #"{"name":"t","kind":"vxlan","destination":"192.0.2.300","vni":5}"#)
            #expect(status == 400)
            #expect(error.code == .invalidArgument)
            #expect(error.field == "destination")
        }
    }

    @Test(arguments: StoreKind.available)
    func malformedDurationIsRejected(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let (status, error) = try await api.failure(.post, "/api/v1/taps", token: fixture.alice,
                                                        raw: #"{"filter":"web-to-db","target":"wireshark-1","duration":"15x"}"#)
            #expect(status == 400)
            #expect(error.code == .invalidArgument)
            #expect(error.field == "duration")
        }
    }

    @Test(arguments: StoreKind.available)
    func invalidCIDRInARuleIsNamed(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let (status, error) = try await api.failure(.post, "/api/v1/filters", token: TestServer.adminToken,
                                                        raw: #"{"name":"f","selector":"app=web","rules":[{"protocol":"tcp","net":"10.0.0.1/8"}]}"#)
            #expect(status == 400)
            #expect(error.code == .invalidArgument)
            #expect(error.field == "rules[0].net")
        }
    }

    @Test(arguments: StoreKind.available)
    func duplicateNameIsAlreadyExists(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            _ = try await api.expect(Tenant.self, .post, "/api/v1/tenants", token: TestServer.adminToken, json: TenantSpec(name: "shop"))
            let (status, error) = try await api.failure(.post, "/api/v1/tenants", token: TestServer.adminToken, json: TenantSpec(name: "shop"))
            #expect(status == 409)
            #expect(error.code == .alreadyExists)
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingATargetThatAGrantUsesIsInUse(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            _ = try await Fixture.make(api)
            let (status, error) = try await api.failure(.delete, "/api/v1/targets/wireshark-1", token: TestServer.adminToken)
            #expect(status == 409)
            #expect(error.code == .inUse)
        }
    }

    @Test(arguments: StoreKind.available)
    func unknownEndpointIsAJSONNotFound(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let (status, error) = try await api.failure(.get, "/api/v1/nothing-here", token: TestServer.adminToken)
            #expect(status == 404)
            #expect(error.code == .notFound)
        }
    }

    @Test(arguments: StoreKind.available)
    func openAPIDocumentIsServedWithoutAToken(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let reply = try await api.call(.get, "/api/v1/openapi.yaml", token: nil)
            #expect(reply.status == 200)
            #expect(reply.text.hasPrefix("openapi: 3."))
            #expect(reply.text.contains("/api/v1/taps"))
        }
    }

    @Test(arguments: StoreKind.available)
    func openAPIDocumentIsAlsoServedAsJSON(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let reply = try await api.call(.get, "/api/v1/openapi.json", token: nil)
            #expect(reply.status == 200)
            let document = try #require(try JSONSerialization.jsonObject(with: reply.body) as? [String: Any])
            #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
            #expect((document["paths"] as? [String: Any])?["/api/v1/taps"] != nil)
        }
    }
}
