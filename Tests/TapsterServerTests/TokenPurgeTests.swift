import Foundation
import HTTPTypes
import Testing
@testable import TapsterServer
import TapsterAPI
import TapsterCore
import TapsterStore
import TapsterTestSupport

/// Expired API tokens and portal sessions are deleted by the purge the expiry scheduler runs, so they
/// neither authenticate nor pile up; those still valid stay.
@Suite struct TokenPurgeTests {
    @Test(arguments: StoreKind.available)
    func thePurgeDeletesExpiredTokensAndSessionsAndKeepsTheValidOnes(kind: StoreKind) async throws {
        let clock = TestClock()
        try await TestServer.run(kind, clock: { clock.now }) { api, controlPlane in
            let fixture = try await Fixture.make(api)
            let short = try await api.expect(IssuedToken.self, .post, "/api/v1/users/alice/tokens", token: fixture.admin,
                                             json: TokenRequest(name: "short", expiresIn: try TapDuration(parsing: "1h")))
            let day = try await api.expect(IssuedToken.self, .post, "/api/v1/users/alice/tokens", token: fixture.admin,
                                           json: TokenRequest(name: "day", expiresIn: try TapDuration(parsing: "24h")))
            let session = try await controlPlane.identity.openPortalSession(name: "alice", password: "password-of-alice", source: "192.0.2.1")

            clock.advance(by: 13 * 3_600)  // past the 1 h token and the 12 h portal session, not the 24 h token
            let purged = try await controlPlane.identity.purgeExpiredTokens()

            #expect(purged == 2)
            let left = try await controlPlane.store.listTokens(userID: session.user.id)
            #expect(Set(left.map(\.name)) == ["test", "day"])
            #expect(!left.contains { $0.id == short.tokenInfo.id })
            #expect(try await api.expect(User.self, .get, "/api/v1/whoami", token: day.token).name == "alice")
            #expect(try await api.failure(.get, "/api/v1/whoami", token: short.token).status == 401)
            #expect(try await controlPlane.identity.purgeExpiredTokens() == 0)
        }
    }
}
