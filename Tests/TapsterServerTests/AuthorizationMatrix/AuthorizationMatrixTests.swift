import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TapsterCore
@testable import TapsterServer
import TapsterTestSupport
import Testing

/// Every route of the native API, the Neutron API and the portal, taken from the router, × every kind of
/// caller (``MatrixCaller``): each gets exactly the status its row says, an owner of another tenant never
/// gets a body naming tenant A's objects, and every API refusal is a JSON error with a code.
@Suite struct AuthorizationMatrixTests {
    static var rows: [MatrixRow] { MatrixRow.api + MatrixRow.neutron + MatrixRow.portal + MatrixRow.approvals + MatrixRow.triggers + MatrixRow.recorders }

    @Test func everyRouteOfTheRouterHasARowAndEveryRowARoute() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let controlPlane = ControlPlane(store: database.store, logger: TestServer.logger)
            let routes = Set(TapsterServer.makeRouter(controlPlane: controlPlane, logger: TestServer.logger).routes
                .map { "\($0.method.rawValue) \(Self.normalised($0.path.description))" })
            let rows = Self.rows.map(\.key)
            #expect(Set(rows).count == rows.count, "a route has two rows")
            #expect(routes.subtracting(rows).sorted() == [], "routes without a row")
            #expect(Set(rows).subtracting(routes).sorted() == [], "rows without a route")
        }
    }

    @Test(arguments: StoreKind.available)
    func everyCallerGetsExactlyTheStatusOfItsRow(kind: StoreKind) async throws {
        try await CaptureAPITests.Rig.run(kind) { rig in
            let world = try await MatrixWorld.make(rig)
            var mismatches: [String] = []
            for row in Self.rows {
                for caller in MatrixCaller.allCases.sorted() {
                    let expected = try #require(row.expected.statuses[caller], "\(row.key) has no status for \(caller)")
                    let request = try await row.request(world, caller)
                    let reply = try await Self.send(row.method, request, as: caller, in: world)
                    if reply.status != expected {
                        mismatches.append("\(row.key) as \(caller.rawValue): \(reply.status), expected \(expected) — \(reply.text.prefix(160))")
                    }
                    if let leak = Self.leak(in: reply, to: caller, route: row.route) {
                        mismatches.append("\(row.key) as \(caller.rawValue) shows tenant A's \(leak)")
                    }
                    if let problem = Self.malformedError(reply, route: row.route) {
                        mismatches.append("\(row.key) as \(caller.rawValue): \(problem)")
                    }
                }
            }
            #expect(mismatches == [])
        }
    }

    // MARK: Checks

    /// What of tenant A an owner of tenant B must never see in an answer.
    static let tenantAMarkers = ["\"shop\"", "web-to-db", "\"alice\"", "web-1", "shop-recorder"]

    static func leak(in reply: API.Reply, to caller: MatrixCaller, route: String) -> String? {
        guard caller == .otherTenantOwner, (200..<300).contains(reply.status) else { return nil }
        return tenantAMarkers.first { reply.text.contains($0) }
    }

    /// A refusal of the native API that is not `{"code", "message"}`.
    static func malformedError(_ reply: API.Reply, route: String) -> String? {
        guard route.hasPrefix("/api/"), reply.status >= 400 else { return nil }
        guard let error = try? reply.error, !error.message.isEmpty else { return "a refusal without a JSON code and message: \(reply.text.prefix(120))" }
        _ = error
        return nil
    }

    // MARK: Requests

    /// Sends `request` with the caller's credential: a bearer token for the native API, `X-Auth-Token` for
    /// Neutron, the session cookie (and the form's CSRF token) for the portal.
    static func send(_ method: HTTPRequest.Method, _ request: MatrixRequest, as caller: MatrixCaller, in world: MatrixWorld) async throws -> API.Reply {
        var headers: HTTPFields = [:]
        var body: ByteBuffer?
        let path = request.path
        if path.hasPrefix("/v2.0") {
            if let token = world.tokens[caller] { headers[HTTPField.Name("X-Auth-Token")!] = token }
        } else if isPortal(path) {
            if let session = request.session ?? world.sessions[caller] { headers[.cookie] = "\(PortalCookies.session)=\(session)" }
        } else if let token = world.tokens[caller] {
            headers[.authorization] = "Bearer \(token)"
        }
        if var form = request.form {
            if let session = request.session ?? world.sessions[caller] { form[CSRF.field] = CSRF.token(for: session) }
            headers[.contentType] = "application/x-www-form-urlencoded"
            body = ByteBuffer(string: form.sorted { $0.key < $1.key }.map { "\(escape($0.key))=\(escape($0.value))" }.joined(separator: "&"))
        } else if let json = request.json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(string: json)
        }
        let response = try await world.api.client.execute(uri: path, method: method, headers: headers, body: body)
        return API.Reply(status: Int(response.status.code), body: Data(response.body.readableBytesView), headers: response.headers)
    }

    static func isPortal(_ path: String) -> Bool {
        !(path.hasPrefix("/api/") || path.hasPrefix("/v2.0") || path == "/healthz" || path == "/readyz" || path == "/metrics")
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    /// `/api/v1/taps/{id}` whether the router spells it with or without the leading slash.
    static func normalised(_ path: String) -> String {
        path.hasPrefix("/") ? path : "/" + path
    }
}
