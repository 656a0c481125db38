import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
@testable import TapsterServer
import TapsterAPI
import TapsterCore
import TapsterStore
import TapsterTestSupport

/// Password logins over the API: one-time passwords must be replaced, guessing is throttled and audited.
@Suite struct LoginTests {
    /// Gives the first admin a known one-time password (as `tapster user passwd admin` would).
    private func setOneTimePassword(_ controlPlane: ControlPlane) async throws {
        let admin = try #require(try await controlPlane.store.findUser("admin"))
        let hash = try await PasswordHasher(cost: TestServer.passwordCost).hash("one-time-secret")
        try await controlPlane.store.setPassword(userID: admin.id, hash: hash, mustChange: true)
    }

    @Test(arguments: StoreKind.available)
    func oneTimePasswordAloneIsRefusedWithPasswordChangeRequired(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            try await setOneTimePassword(controlPlane)
            let (status, error) = try await api.failure(.post, "/api/v1/login", token: nil,
                                                        json: LoginRequest(name: "admin", password: "one-time-secret"))
            #expect(status == 403)
            #expect(error.code == .passwordChangeRequired)
            #expect(error.field == "new_password")
        }
    }

    @Test(arguments: StoreKind.available)
    func oneTimePasswordIsReplacedByTheNewOneAtLogin(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            try await setOneTimePassword(controlPlane)
            let issued = try await api.expect(IssuedToken.self, .post, "/api/v1/login", token: nil,
                                              json: LoginRequest(name: "admin", password: "one-time-secret", newPassword: "chosen-password-1"))
            #expect(issued.user?.mustChangePassword == false)
            #expect(try await api.expect(User.self, .get, "/api/v1/whoami", token: issued.token).name == "admin")
            let (status, _) = try await api.failure(.post, "/api/v1/login", token: nil, json: LoginRequest(name: "admin", password: "one-time-secret"))
            #expect(status == 401)
            _ = try await api.expect(IssuedToken.self, .post, "/api/v1/login", token: nil,
                                     json: LoginRequest(name: "admin", password: "chosen-password-1"))
        }
    }

    @Test(arguments: StoreKind.available)
    func attemptsPastFiveFailuresAreRefusedAndAudited(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            for _ in 0..<5 {
                let (status, _) = try await api.failure(.post, "/api/v1/login", token: nil, json: LoginRequest(name: "admin", password: "guess"))
                #expect(status == 401)
            }
            let (status, error) = try await api.failure(.post, "/api/v1/login", token: nil, json: LoginRequest(name: "admin", password: "guess"))
            #expect(status == 429)
            #expect(error.code == .tooManyRequests)
            let events = try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?action=user.&order=oldest", token: TestServer.adminToken)
            #expect(events.items.map(\.action).filter { $0.hasPrefix("user.login_") } == Array(repeating: "user.login_failed", count: 5) + ["user.login_throttled"])
        }
    }

    @Test(arguments: StoreKind.available)
    func twentyConcurrentGuessesPassNoMoreThanTheLimit(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let port = try #require(api.client.port)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<20 {
                    group.addTask { try await Self.guess(port: port, password: "guess-\(index)") }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 401 }.count == LoginThrottle.maximumFailures)
            #expect(statuses.filter { $0 == 429 }.count == 20 - LoginThrottle.maximumFailures)
            let failed = try await api.expect(AuditPage.self, .get, "/api/v1/audit?action=user.login_failed", token: TestServer.adminToken)
            #expect(failed.items.count == LoginThrottle.maximumFailures)
        }
    }

    /// One login attempt as the admin on a connection of its own — so the guesses really race at the server (one
    /// connection answers in turn) — with a read timeout a suite loading both cores cannot outrun (the test client's 20 s once was).
    static func guess(port: Int, password: String) async throws -> Int {
        let client = TestClient(host: "localhost", port: port, configuration: .init(timeout: .seconds(180)))
        client.connect()
        let body = try TapsterJSON.encoder().encode(LoginRequest(name: "admin", password: password))
        do {
            let response = try await client.execute(TestClient.Request("/api/v1/login", method: .post, authority: "localhost",
                                                                       headers: [.contentType: "application/json"],
                                                                       body: ByteBuffer(bytes: body)))
            try await client.shutdown()
            return Int(response.status.code)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test(arguments: StoreKind.available)
    func aSessionOpenedWithAOneTimePasswordMayOnlyChangeIt(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let fixture = try await Fixture.make(api)
            _ = try await api.expect(User.self, .patch, "/api/v1/users/alice", token: fixture.admin, json: UserPatch(password: "one-time-for-alice"))
            let session = try await controlPlane.identity.openPortalSession(name: "alice", password: "one-time-for-alice", source: "192.0.2.1").secret
            for (method, path) in [(HTTPRequest.Method.get, "/api/v1/whoami"), (.get, "/api/v1/taps"), (.get, "/api/v1/users/alice/tokens"),
                                   (.post, "/api/v1/users/alice/tokens")] {
                let (status, error) = try await api.failure(method, path, token: session, json: TokenRequest(name: "more"))
                #expect(status == 403, "\(method) \(path)")
                #expect(error.code == .passwordChangeRequired, "\(method) \(path)")
            }
            let (status, error) = try await api.failure(.patch, "/api/v1/users/alice", token: session, json: UserPatch(quota: 100))
            #expect(status == 403)
            #expect(error.code == .passwordChangeRequired)
            _ = try await api.expect(User.self, .patch, "/api/v1/users/alice", token: session,
                                     json: UserPatch(password: "chosen-by-alice", currentPassword: "one-time-for-alice"))
            #expect(try await api.expect(User.self, .get, "/api/v1/whoami", token: session).name == "alice")
        }
    }

    @Test(arguments: StoreKind.available)
    func theFirstAdminsBootstrapTokenKeepsFullRightsWhileThePasswordIsOneTime(kind: StoreKind) async throws {
        try await TestServer.run(kind) { (api: API, controlPlane: ControlPlane) async throws in
            #expect(try await controlPlane.store.findUser("admin")?.mustChangePassword == true)
            #expect(try await api.expect(User.self, .get, "/api/v1/whoami", token: TestServer.adminToken).name == "admin")
        }
    }

    @Test(arguments: StoreKind.available)
    func aNameLongerThanAnyUsersIsAnsweredAsAWrongPassword(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let (status, error) = try await api.failure(.post, "/api/v1/login", token: nil,
                                                        json: LoginRequest(name: String(repeating: "a", count: 100_000), password: "guess"))
            #expect(status == 401)
            #expect(error.message == "wrong user name or password")
        }
    }
}

/// The throttle's table stays bounded however many names and sources try.
@Suite struct LoginThrottleTests {
    @Test func theTableForgetsTheLeastRecentWhenFull() async throws {
        let throttle = LoginThrottle()
        for index in 0..<(LoginThrottle.maximumKeys / 2 + 100) {
            _ = try await throttle.admit(name: "user-\(index)", source: "10.0.\(index / 256).\(index % 256)")
        }
        #expect(await throttle.count <= LoginThrottle.maximumKeys)
    }

    @Test func oneSourceSprayingNamesIsStoppedByItsOwnLimit() async throws {
        let throttle = LoginThrottle()
        for index in 0..<LoginThrottle.maximumFailuresPerSource {
            _ = try await throttle.admit(name: "user-\(index)", source: "203.0.113.9")
        }
        await #expect(throws: TapsterError.self) { _ = try await throttle.admit(name: "another", source: "203.0.113.9") }
    }

    @Test func aSuccessForgivesTheNamesFailures() async throws {
        let throttle = LoginThrottle()
        for _ in 0..<(LoginThrottle.maximumFailures - 1) { _ = try await throttle.admit(name: "alice", source: "192.0.2.1") }
        await throttle.succeeded(try await throttle.admit(name: "alice", source: "192.0.2.1"))
        for _ in 0..<(LoginThrottle.maximumFailures - 1) { _ = try await throttle.admit(name: "alice", source: "192.0.2.1") }
    }
}
