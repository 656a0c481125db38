import Foundation
import HTTPTypes
import TapsterCore
import TapsterTestSupport
import Testing
@testable import TapsterServer

/// What the HTTP layer answers before any route runs: wrong methods, unknown paths, query decoding.
@Suite("HTTP layer")
struct HTTPLayerTests {
    @Test("a known path asked with a method it does not have answers 405 method_not_allowed with an Allow header")
    func wrongMethod() async throws {
        try await TestServer.run(.sqlite) { api, _ in
            let reply = try await api.call(.post, "/api/v1/whoami", token: TestServer.adminToken)
            #expect(reply.status == 405)
            #expect(try reply.error.code == .methodNotAllowed)
            #expect(reply.headers[.allow] == "GET, HEAD")
            let taps = try await api.call(.put, "/api/v1/taps/3f2c8e0a-6b1d-4c57-9a0e-2d4f5b6c7d8e", token: nil)
            #expect(taps.status == 405)
            #expect(taps.headers[.allow] == "GET, HEAD")
            let tenants = try await api.call(.delete, "/api/v1/tenants", token: TestServer.adminToken)
            #expect(tenants.headers[.allow] == "GET, HEAD, POST")
        }
    }

    @Test("a path no route has answers 404 not_found, whatever the method")
    func unknownPath() async throws {
        try await TestServer.run(.sqlite) { api, _ in
            for method in [HTTPRequest.Method.get, .post, .delete] {
                let reply = try await api.call(method, "/api/v1/no-such-thing", token: TestServer.adminToken)
                #expect(reply.status == 404)
                #expect(try reply.error.code == .notFound)
                #expect(reply.headers[.allow] == nil)
            }
        }
    }

    @Test("a query parameter is form-decoded: + is a space and %2B a plus")
    func queryDecoding() async throws {
        try await TestServer.run(.sqlite) { api, _ in
            let spaced = try await api.call(.get, "/api/v1/workloads?selector=app%3Dweb%2Ctier+in+%28front%2Cedge%29", token: TestServer.adminToken)
            #expect(spaced.status == 200, "\(spaced.text)")
            let plus = try await api.failure(.get, "/api/v1/workloads?selector=tier%2Bin", token: TestServer.adminToken)
            #expect(plus.error.message.contains("\"tier+in\""))
        }
    }
}
