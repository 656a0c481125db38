import Foundation
import HTTPTypes
import Testing
@testable import TapsterServer
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
            let events = try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?action=user.", token: TestServer.adminToken)
            #expect(events.items.map(\.action).filter { $0.hasPrefix("user.login_") } == Array(repeating: "user.login_failed", count: 5) + ["user.login_throttled"])
        }
    }
}
