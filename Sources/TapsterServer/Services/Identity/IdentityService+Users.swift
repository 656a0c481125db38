import Foundation
import TapsterAPI
import TapsterCore
import TapsterOIDC
import TapsterStore

extension IdentityService {
    public func listUsers(_ p: Principal) async throws -> [User] {
        try Policy.require(p, .read, .user, .collection)
        let users = try await store.listUsers()
        return users.filter { Policy.isVisible(user: $0, to: p) }
    }

    /// A user the principal may see: itself, or anyone for admins and auditors.
    public func user(_ p: Principal, _ reference: String) async throws -> User {
        let user = try await store.findUser(reference)
        let visible = user.map { Policy.isVisible(user: $0, to: p) } ?? false
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

    /// Changes a user. Admins change role, tenants, quota and `disabled`, and set others' passwords (one-time,
    /// and every session and token of that user is revoked); users change their own password, optionally
    /// revoking every other session and token (`keepingSession` is the secret of the one asking, which stays).
    /// Access the change takes away ends at once: disabling revokes every token and session, and live taps
    /// their owner could no longer open are stopped.
    public func updateUser(_ p: Principal, _ reference: String, _ patch: UserPatch, keepingSession: String? = nil) async throws -> User {
        var user = try await user(p, reference)
        let isSelf = user.id == p.userID
        let changesAccount = patch.role != nil || patch.tenants != nil || patch.quota != nil || patch.disabled != nil
        if isSelf, user.mustChangePassword, changesAccount {
            throw TapsterError(.passwordChangeRequired, "\(user.name)'s password is one-time: change it before anything else", field: "password")
        }
        var details: [String: String] = [:]
        var disabling = false
        if changesAccount {
            guard p.isAdmin else { throw TapsterError.forbidden("only admins change roles, tenants, quotas and whether a user is disabled") }
            // A provider's user gets role and tenants from its claims at each sign-in (``provision(_:source:)``, as the server).
            if let external = user.external, patch.role != nil || patch.tenants != nil, p != .system {
                throw TapsterError.invalid(patch.role != nil ? "role" : "tenants",
                                           "\(user.name)'s role and tenants follow their groups at \(external.provider); change the groups or the role mappings")
            }
            if let role = patch.role { user.spec.role = role; details["role"] = role.rawValue }
            if let tenants = patch.tenants { user.spec.tenants = tenants; details["tenants"] = tenants.joined(separator: ",") }
            if let quota = patch.quota { user.spec.quota = quota; details["quota"] = String(quota) }
            if let disabled = patch.disabled, disabled != user.disabled {
                guard !isSelf else { throw TapsterError.invalid("disabled", "you cannot disable yourself") }
                user.disabled = disabled
                disabling = disabled
                details["disabled"] = String(disabled)
            }
            if user.spec.role != .owner, patch.tenants == nil { user.spec.tenants = [] }
            user.spec = try user.spec.validated()
            user.recordMemberships(at: now)
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
            details["password"] = isSelf ? "changed" : "reset"
        } else if patch.revokeOtherSessions == true {
            throw TapsterError.invalid("revoke_other_sessions", "goes with a new password")
        }
        guard !details.isEmpty else { return user }
        // Whose tokens go: all of them when disabled or reset by an admin; the others when users ask it with their own change.
        var revocation: (all: Bool, keeping: String?)?
        if disabling || (newHash != nil && !isSelf) {
            revocation = (true, nil)
        } else if newHash != nil, patch.revokeOtherSessions == true {
            var keeping: String?
            if let keepingSession { keeping = try await store.findToken(secretHash: PasswordHasher.tokenHash(keepingSession))?.token.id }
            revocation = (false, keeping)
        }
        let revoking = revocation
        let readerRevocation = disabling ? "user disabled" : patch.role != nil || patch.tenants != nil ? "user no longer qualifies" : nil
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
            var recorded = auditDetails
            if let revoking {
                let revoked = try await session.deleteTokens(userID: updated.id, keeping: revoking.all ? nil : revoking.keeping)
                recorded["revoked_tokens"] = String(revoked)
            }
            if let readerRevocation {
                try await captures.revokeReaderEntitlements(of: updated, deleting: false, by: p, reason: readerRevocation, session: session)
            }
            try await audit(session, p, hash != nil && auditDetails.count == 1 ? AuditAction.passwordChanged : AuditAction.updated("user"),
                            .user, id: updated.id, name: updated.name, tenant: nil, details: recorded)
        }
        if disabling || patch.role != nil || patch.tenants != nil {
            try await taps.stopTapsNoLongerAdmitted(by: p, reason: disabling ? "user \(updated.name) was disabled" : "user \(updated.name) lost access")
        }
        return try await store.findUser(updated.id) ?? updated
    }

    /// Deletes a user with their tokens and sessions, and stops their live taps and captures.
    public func deleteUser(_ p: Principal, _ reference: String) async throws {
        let user = try await user(p, reference)
        try Policy.require(p, .delete, .user, .object(visible: true), reference: reference)
        guard user.id != p.userID else { throw TapsterError(.invalidState, "you cannot delete your own account") }
        try await store.transaction { session in
            let grants = try await session.list(.grants, tenants: nil).filter { $0.user == user.name }
            if !grants.isEmpty {
                throw TapsterError(.inUse, "user \"\(user.name)\" still has \(grants.count) grant(s); delete them first")
            }
            try await captures.revokeReaderEntitlements(of: user, deleting: true, by: p, reason: "user deleted", session: session)
            try await session.deleteUser(id: user.id)
            try await audit(session, p, AuditAction.deleted("user"), .user, id: user.id, name: user.name, tenant: nil)
        }
        try await taps.stopTapsNoLongerAdmitted(by: p, reason: "user \(user.name) was deleted")
    }

    // MARK: Tokens

    /// The user whose tokens are managed: yourself, or anyone for an admin.
    private func tokenOwner(_ p: Principal, _ reference: String, _ action: Action) async throws -> User {
        let user = try await store.findUser(reference)
        let visible = user.map { Policy.isVisible(user: $0, to: p) } ?? false
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

    /// The longest an API token of a user of an identity provider lives: their access follows the provider's
    /// claims only when they sign in again, so a token may not outlast a day of offboarding.
    static let externalUserTokenLifetime = TapDuration(seconds: 24 * 3_600)

    public func createToken(_ p: Principal, user reference: String, _ request: TokenRequest) async throws -> IssuedToken {
        let user = try await tokenOwner(p, reference, .create)
        try Validation.text(request.name, field: "name", maximum: 128)
        guard !request.name.isEmpty else { throw TapsterError.invalid("name", "must not be empty") }
        var lifetime = request.expiresIn
        if user.external != nil {
            let longest = Self.externalUserTokenLifetime
            if let asked = lifetime, asked.seconds > longest.seconds {
                throw TapsterError.invalid("expires_in", "\(user.name) signs in through \(user.external?.provider ?? "a provider"): their tokens live at most 24h")
            }
            lifetime = lifetime ?? longest
        }
        let expiresIn = lifetime
        return try await store.transaction { session in
            try await issueToken(for: user, name: request.name, expiresIn: expiresIn, by: p, session: session)
        }
    }

    /// Mints a token for `user` and audits it. While the user's password is one-time, the token may only
    /// change it (``TokenScope/passwordChange``), unless `fullRights` (the first admin's bootstrap token).
    func issueToken(for user: User, name: String, expiresIn: TapDuration?, by p: Principal, session: any StoreSession,
                    secret: String = PasswordHasher.newTokenSecret(), fullRights: Bool = false) async throws -> IssuedToken {
        let created = now
        let info = APIToken(userId: user.id, name: name, createdAt: created,
                            expiresAt: expiresIn.map { created.addingTimeInterval(TimeInterval($0.seconds)) },
                            scope: user.mustChangePassword && !fullRights ? .passwordChange : nil)
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

    /// Deletes every API token and portal session past its expiry (they no longer authenticate, and
    /// would otherwise pile up); returns how many. Run by the ``ExpiryScheduler``.
    @discardableResult
    public func purgeExpiredTokens() async throws -> Int {
        try await store.purgeExpiredTokens(at: now)
    }

    // MARK: Authentication

    /// Who a bearer token acts as, and whether it may only change its user's password.
    public struct Authentication: Sendable {
        public var principal: Principal
        public var user: User
        /// The Tapster API token or portal session; `nil` for an identity provider's token.
        public var token: APIToken?
        /// A session opened with a one-time password, before the password was changed: it may do nothing else.
        public var passwordChangeOnly: Bool { token?.scope == .passwordChange && user.mustChangePassword }
    }

    /// The principal a bearer token acts as: a Tapster API token or portal session, or else a token of one of
    /// the trusted identity providers (``IdentityProviders``), whose person is provisioned at its first use.
    /// Throws `unauthenticated` for unknown or expired tokens and disabled users, `forbidden` for a person
    /// the role mapping gives no access.
    public func authenticate(token secret: String, source: String = "-") async throws -> Authentication {
        // Tapster's own secrets never look like a JWT: those go to the providers without a store lookup.
        if providers.isEmpty || !TapsterOIDC.JSONWebToken.looksLikeJWT(secret),
           let (token, user) = try await store.findToken(secretHash: PasswordHasher.tokenHash(secret)) {
            return try await authenticate(token, of: user)
        }
        guard !providers.isEmpty else { throw TapsterError(.unauthenticated, "the API token is not valid") }
        return try await authenticateExternal(secret, source: source)
    }

    /// The principal of a portal session's secret: Tapster's own tokens only, never sent to a provider.
    func authenticateSession(_ secret: String) async throws -> Authentication {
        guard let (token, user) = try await store.findToken(secretHash: PasswordHasher.tokenHash(secret)) else {
            throw TapsterError(.unauthenticated, "the session is not valid")
        }
        return try await authenticate(token, of: user)
    }

    private func authenticate(_ token: APIToken, of user: User) async throws -> Authentication {
        let at = now
        if let expiry = token.expiresAt, expiry <= at {
            throw TapsterError(.unauthenticated, "the API token expired at \(TapsterJSON.formatTime(expiry))")
        }
        guard !user.disabled else { throw TapsterError(.unauthenticated, "user \(user.name) is disabled") }
        if token.lastUsedAt.map({ at.timeIntervalSince($0) > 60 }) ?? true {
            try await store.touchToken(id: token.id, at: at)
        }
        // A portal session of a user who has no password was opened through their identity provider.
        let method: AuthenticationMethod = token.name != Self.portalSessionTokenName ? .apiToken
            : user.external.map { .openIDConnect(provider: $0.provider) } ?? .password
        return Authentication(principal: user.principal(authenticatedBy: method), user: user, token: token)
    }

    /// A provider's token: remembered, or verified by the first verifier that knows its kind and provisioned.
    private func authenticateExternal(_ secret: String, source: String) async throws -> Authentication {
        let key = RememberedBearers.key(secret)
        switch await providers.remembered.lookup(key) {
        case .user(let id, let method, _):
            guard let user = try await store.findUser(id), !user.disabled else {
                throw TapsterError(.unauthenticated, "the token's user is disabled or deleted")
            }
            return Authentication(principal: user.principal(authenticatedBy: method), user: user, token: nil)
        case .unknown:
            throw TapsterError(.unauthenticated, "the token is not valid")
        case .refused(let error, _):
            throw error
        case nil:
            break
        }
        for verifier in providers.verifiers {
            let signIn: ExternalSignIn?
            do {
                signIn = try await verifier.verify(bearer: secret)
            } catch let error as TapsterError where error.code == .unauthenticated {
                await providers.remembered.rememberUnknown(key)
                throw error
            }
            guard let signIn else { continue }
            let user: User
            do {
                user = try await provision(signIn, source: source)
            } catch let error as TapsterError where error.code == .forbidden {
                await providers.remembered.remember(key, .refused(error, until: min(signIn.validUntil, now.addingTimeInterval(RememberedBearers.refusedFor))))
                throw error
            }
            await providers.remembered.remember(key, .user(id: user.id, method: signIn.method, until: signIn.validUntil))
            return Authentication(principal: user.principal(authenticatedBy: signIn.method), user: user, token: nil)
        }
        await providers.remembered.rememberUnknown(key)
        throw TapsterError(.unauthenticated, "the token is not valid: not a Tapster API token, and no identity provider vouches for it")
    }

    /// Checks a name and password; audits failures, and refuses (and audits) further attempts
    /// once ``LoginThrottle`` says so. The attempt is counted before the password is checked, so
    /// concurrent guesses cannot pass the limit; an unknown name costs as much time as a known one.
    /// Returns the user on success; a disabled user is refused even with the right password.
    public func checkPassword(name: String, password: String, source: String) async throws -> User {
        let logged = name.isEmpty ? "-" : String(name.prefix(ResourceName.maximumLength))
        let attempt: LoginThrottle.Attempt
        do {
            attempt = try await loginThrottle.admit(name: name, source: source)
        } catch {
            _ = try await store.appendAudit(
                AuditEntry(actor: logged, action: AuditAction.loginThrottled, objectType: "user", objectName: logged, details: ["source": source]),
                at: now)
            throw error
        }
        // A longer name is no user's: it is not looked up.
        let credentials = name.count <= ResourceName.maximumLength ? try await store.credentials(userName: name) : nil
        var ok = false
        if let hash = credentials?.passwordHash {
            ok = try await passwords.verify(password, hash: hash)
        } else {
            try await passwords.verifyNothing(password)
        }
        guard ok, let user = credentials?.user, !user.disabled else {
            var details = ["source": source]
            if ok { details["reason"] = "disabled" }
            _ = try await store.appendAudit(
                AuditEntry(actor: logged, action: AuditAction.loginFailed, objectType: "user", objectName: logged, details: details), at: now)
            throw TapsterError(.unauthenticated, ok ? "user \(logged) is disabled" : "wrong user name or password")
        }
        await loginThrottle.succeeded(attempt)
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
            var current = user
            if replacement != nil { current.mustChangePassword = false }
            var issued = try await issueToken(for: current, name: request.tokenName ?? "login", expiresIn: TapDuration(seconds: 30 * 86_400),
                                              by: user.principal, session: session)
            issued.user = current
            return issued
        }
    }
}
