import Foundation
import TapsterCore
import TapsterStore

extension ControlPlane {
    public func listUsers(_ p: Principal) async throws -> [User] {
        try Policy.require(p, .read, .user, .collection)
        let users = try await store.listUsers()
        return p.role == .owner ? users.filter { $0.id == p.userID } : users
    }

    /// A user the principal may see: itself, or anyone for admins and auditors.
    public func user(_ p: Principal, _ reference: String) async throws -> User {
        let user = try await store.findUser(reference)
        let visible = user.map { p.role != .owner || $0.id == p.userID } ?? false
        try Policy.require(p, .read, .user, .object(visible: visible), reference: reference)
        guard let user else { throw TapsterError.notFound("user", reference) }
        return user
    }

    public func createUser(_ p: Principal, _ request: UserCreateRequest) async throws -> User {
        try Policy.require(p, .create, .user, .collection)
        let spec = try request.spec.validated()
        var hash: String?
        if let password = request.password {
            try passwords.validate(password)
            hash = try await passwords.hash(password)
        }
        let passwordHash = hash
        return try await store.transaction { session in
            try await requireTenantsExist(spec.tenants, field: "tenants", session: session)
            let user = User(spec: spec, createdAt: now)
            try await session.insertUser(user, passwordHash: passwordHash)
            try await audit(session, p, AuditAction.created("user"), .user, id: user.id, name: user.name, tenant: nil,
                            details: ["role": spec.role.rawValue, "tenants": spec.tenants.joined(separator: ",")])
            return user
        }
    }

    public func updateUser(_ p: Principal, _ reference: String, _ patch: UserPatch) async throws -> User {
        var user = try await user(p, reference)
        let isSelf = user.id == p.userID
        var details: [String: String] = [:]
        if patch.role != nil || patch.tenants != nil || patch.quota != nil {
            guard p.isAdmin else { throw TapsterError.forbidden("only admins change roles, tenants and quotas") }
            if let role = patch.role { user.spec.role = role; details["role"] = role.rawValue }
            if let tenants = patch.tenants { user.spec.tenants = tenants; details["tenants"] = tenants.joined(separator: ",") }
            if let quota = patch.quota { user.spec.quota = quota; details["quota"] = String(quota) }
            if user.spec.role != .owner, patch.tenants == nil { user.spec.tenants = [] }
            user.spec = try user.spec.validated()
            if isSelf, user.spec.role != .admin {
                throw TapsterError.invalid("role", "you cannot take the admin role from yourself")
            }
        }
        var newHash: String?
        if let password = patch.password {
            try Policy.require(p, .update, .user, .object(visible: true), reference: reference)
            guard isSelf || p.isAdmin else { throw TapsterError.forbidden("you can change only your own password") }
            if isSelf {
                guard let current = patch.currentPassword,
                      let stored = try await store.credentials(userName: user.name)?.passwordHash,
                      try await passwords.verify(current, hash: stored) else {
                    throw TapsterError(.unauthenticated, "current_password is missing or wrong", field: "current_password")
                }
            }
            try passwords.validate(password)
            newHash = try await passwords.hash(password)
            details["password"] = "changed"
        }
        guard !details.isEmpty else { return user }
        user.updatedAt = now
        let updated = user
        let hash = newHash
        let auditDetails = details
        try await store.transaction { session in
            try await requireTenantsExist(updated.spec.tenants, field: "tenants", session: session)
            try await session.updateUser(updated)
            if let hash {
                // An admin resetting someone's password makes it one-time; choosing your own clears that.
                try await session.setPassword(userID: updated.id, hash: hash, mustChange: !isSelf)
            }
            try await audit(session, p, hash != nil && auditDetails.count == 1 ? AuditAction.passwordChanged : AuditAction.updated("user"),
                            .user, id: updated.id, name: updated.name, tenant: nil, details: auditDetails)
        }
        return try await store.findUser(updated.id) ?? updated
    }

    public func deleteUser(_ p: Principal, _ reference: String) async throws {
        let user = try await user(p, reference)
        try Policy.require(p, .delete, .user, .object(visible: true), reference: reference)
        guard user.id != p.userID else { throw TapsterError(.invalidState, "you cannot delete your own account") }
        try await store.transaction { session in
            let grants = try await session.list(.grants, tenants: nil).filter { $0.user == user.name }
            if !grants.isEmpty {
                throw TapsterError(.inUse, "user \"\(user.name)\" still has \(grants.count) grant(s); delete them first")
            }
            try await session.deleteUser(id: user.id)
            try await audit(session, p, AuditAction.deleted("user"), .user, id: user.id, name: user.name, tenant: nil)
        }
    }

    // MARK: Tokens

    /// The user whose tokens are managed: yourself, or anyone for an admin.
    private func tokenOwner(_ p: Principal, _ reference: String, _ action: Action) async throws -> User {
        let user = try await store.findUser(reference)
        let visible = user.map { p.role != .owner || $0.id == p.userID } ?? false
        try Policy.require(p, action, .token, .object(visible: visible), reference: reference)
        guard let user, user.id == p.userID || p.isAdmin || (action == .read && p.role == .auditor) else {
            throw TapsterError.forbidden("you manage only your own tokens")
        }
        return user
    }

    public func listTokens(_ p: Principal, user reference: String) async throws -> [APIToken] {
        let user = try await tokenOwner(p, reference, .read)
        return try await store.listTokens(userID: user.id)
    }

    public func createToken(_ p: Principal, user reference: String, _ request: TokenRequest) async throws -> IssuedToken {
        let user = try await tokenOwner(p, reference, .create)
        try Validation.text(request.name, field: "name", maximum: 128)
        guard !request.name.isEmpty else { throw TapsterError.invalid("name", "must not be empty") }
        return try await store.transaction { session in
            try await issueToken(for: user, name: request.name, expiresIn: request.expiresIn, by: p, session: session)
        }
    }

    /// Mints a token for `user` and audits it.
    func issueToken(for user: User, name: String, expiresIn: TapDuration?, by p: Principal, session: any StoreSession,
                    secret: String = PasswordHasher.newTokenSecret()) async throws -> IssuedToken {
        let created = now
        let info = APIToken(userId: user.id, name: name, createdAt: created,
                            expiresAt: expiresIn.map { created.addingTimeInterval(TimeInterval($0.seconds)) })
        try await session.insertToken(info, secretHash: PasswordHasher.tokenHash(secret))
        try await audit(session, p, AuditAction.created("token"), .token, id: info.id, name: name, tenant: nil,
                        details: ["user": user.name])
        return IssuedToken(token: secret, tokenInfo: info)
    }

    public func deleteToken(_ p: Principal, user reference: String, id: String) async throws {
        let user = try await tokenOwner(p, reference, .delete)
        try await store.transaction { session in
            guard try await session.deleteToken(id: id, userID: user.id) else { throw TapsterError.notFound("token", id) }
            try await audit(session, p, AuditAction.deleted("token"), .token, id: id, name: nil, tenant: nil, details: ["user": user.name])
        }
    }

    // MARK: Authentication

    /// The principal a bearer token acts as; throws `unauthenticated` for unknown or expired tokens.
    public func authenticate(token secret: String) async throws -> (Principal, User) {
        guard let (token, user) = try await store.findToken(secretHash: PasswordHasher.tokenHash(secret)) else {
            throw TapsterError(.unauthenticated, "the API token is not valid")
        }
        let at = now
        if let expiry = token.expiresAt, expiry <= at {
            throw TapsterError(.unauthenticated, "the API token expired at \(TapsterJSON.formatTime(expiry))")
        }
        if token.lastUsedAt.map({ at.timeIntervalSince($0) > 60 }) ?? true {
            try await store.touchToken(id: token.id, at: at)
        }
        return (user.principal, user)
    }

    /// Checks a name and password; audits failures, and refuses (and audits) further attempts
    /// once ``LoginThrottle`` says so. Returns the user on success.
    public func checkPassword(name: String, password: String, source: String) async throws -> User {
        let key = "\(name)@\(source)"
        do {
            try await loginThrottle.check(key)
        } catch {
            _ = try await store.appendAudit(
                AuditEntry(actor: name.isEmpty ? "-" : String(name.prefix(63)), action: AuditAction.loginThrottled, objectType: "user",
                           objectName: String(name.prefix(63)), details: ["source": source]),
                at: now)
            throw error
        }
        let credentials = try await store.credentials(userName: name)
        var ok = false
        if let hash = credentials?.passwordHash {
            ok = try await passwords.verify(password, hash: hash)
        }
        guard ok, let user = credentials?.user else {
            _ = try await store.appendAudit(
                AuditEntry(actor: name.isEmpty ? "-" : String(name.prefix(63)), action: AuditAction.loginFailed, objectType: "user",
                           objectName: String(name.prefix(63)), details: ["source": source]),
                at: now)
            await loginThrottle.failed(key)
            throw TapsterError(.unauthenticated, "wrong user name or password")
        }
        await loginThrottle.succeeded(key)
        return user
    }

    /// `POST /login`: checks the password and issues a token. A one-time password must be
    /// replaced in the same request (`new_password`), or the login is refused with `password_change_required`.
    public func login(_ request: LoginRequest, source: String) async throws -> IssuedToken {
        let user = try await checkPassword(name: request.name, password: request.password, source: source)
        var newHash: String?
        if user.mustChangePassword {
            guard let newPassword = request.newPassword else {
                throw TapsterError(.passwordChangeRequired,
                                   "\(user.name)'s password is one-time: choose a new one (send new_password; tapster login asks for it)",
                                   field: "new_password")
            }
            try passwords.validate(newPassword)
            guard newPassword != request.password else {
                throw TapsterError.invalid("new_password", "must differ from the one-time password")
            }
            newHash = try await passwords.hash(newPassword)
        }
        let replacement = newHash
        return try await store.transaction { session in
            if let replacement {
                try await session.setPassword(userID: user.id, hash: replacement, mustChange: false)
                try await audit(session, user.principal, AuditAction.passwordChanged, .user, id: user.id, name: user.name, tenant: nil,
                                details: ["source": source, "via": "login"])
            }
            _ = try await session.appendAudit(
                AuditEntry(actor: user.name, action: AuditAction.loginSucceeded, objectType: "user", objectId: user.id,
                           objectName: user.name, details: ["source": source]), at: now)
            var issued = try await issueToken(for: user, name: request.tokenName ?? "login", expiresIn: TapDuration(seconds: 30 * 86_400),
                                              by: user.principal, session: session)
            var current = user
            if replacement != nil { current.mustChangePassword = false }
            issued.user = current
            return issued
        }
    }
}
