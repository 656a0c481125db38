import Foundation
import TapsterAPI
import TapsterCore
import TapsterStore

/// The secrets of the first admin, created on first start and shown only then.
public struct FirstAdmin: Sendable {
    public var name: String
    public var oneTimePassword: String
    public var token: String
}

/// First-start set-up: creates the `admin` account with a one-time password and an API token.
enum Bootstrap {
    static let settingKey = "bootstrap.first_admin"
    static let adminName = "admin"

    /// Creates the first admin unless that was done before; returns its secrets when it did.
    static func run(_ identity: IdentityService, adminToken: String?) async throws -> FirstAdmin? {
        if let token = adminToken, token.count < 16 || token.contains(where: \.isWhitespace) {
            throw TapsterError.invalid("TAPSTER_ADMIN_TOKEN", "must be at least 16 characters without spaces")
        }
        let password = PasswordHasher.newOneTimePassword()
        let hash = try await identity.passwords.hash(password)
        return try await identity.store.transaction { session in
            guard try await session.setting(settingKey) == nil else { return nil }
            let admin = User(spec: UserSpec(name: adminName, role: .admin), mustChangePassword: true, createdAt: identity.now)
            try await session.insertUser(admin, passwordHash: hash)
            try await session.setPassword(userID: admin.id, hash: hash, mustChange: true)
            try await identity.audit(session, .system, AuditAction.created("user"), .user, id: admin.id, name: adminName, tenant: nil,
                               details: ["role": "admin", "reason": "first start"])
            let issued = try await identity.issueToken(for: admin, name: "bootstrap", expiresIn: nil, by: .system, session: session,
                                                 secret: adminToken ?? PasswordHasher.newTokenSecret(), fullRights: true)
            try await session.setSetting(settingKey, TapsterJSON.formatTime(identity.now))
            return FirstAdmin(name: adminName, oneTimePassword: password, token: issued.token)
        }
    }
}
