import Foundation
import HTTPTypes
import Testing
@testable import TapsterServer
import TapsterAPI
import TapsterCore
import TapsterStore
import TapsterTestSupport

/// What a user account may be: names, passwords, and where the portal returns after signing in.
@Suite struct AccountValidationTests {
    @Test(arguments: StoreKind.available)
    func noUserMayBeNamedSystem(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let (status, error) = try await api.failure(.post, "/api/v1/users", token: TestServer.adminToken,
                                                        json: UserCreateRequest(name: "system", role: .admin, password: "password-of-system"))
            #expect(status == 400)
            #expect(error.field == "name")
        }
    }

    @Test(arguments: StoreKind.available)
    func aPasswordLongerThanSeventyTwoBytesIsRefusedEvenInFewerCharacters(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            // 37 characters, 74 bytes: bcrypt would ignore the last two bytes.
            let password = String(repeating: "é", count: 37)
            let (status, error) = try await api.failure(.post, "/api/v1/users", token: TestServer.adminToken,
                                                        json: UserCreateRequest(name: "erin", role: .admin, password: password))
            #expect(status == 400)
            #expect(error.field == "password")
            #expect(error.message.contains("72 bytes"))
        }
    }

    @Test func aPasswordOfSeventyTwoBytesIsAccepted() throws {
        try PasswordHasher(cost: 4).validate(String(repeating: "é", count: 36))
    }

    @Test(arguments: ["/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/\u{0B}/evil.example", "/\\evil.example",
                      "/x\\..\\/evil.example", "//evil.example", "https://evil.example", "/\u{200B}/evil.example", "/ /evil.example", "evil"])
    func theLoginPageNeverReturnsOffSite(next: String) {
        #expect(SessionPages.safeNext(next) == nil)
    }

    @Test(arguments: ["/taps", "/admin/audit?actor=alice&since=1h", "/taps/0a1b#agents"])
    func theLoginPageReturnsToALocalPath(next: String) {
        #expect(SessionPages.safeNext(next) == next)
    }
}
