import Foundation
import TapsterCore

/// `{"items": [...], "continue": "…"}` — how every list is answered, one page at a time (``PageRequest``).
public struct ItemList<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [Item]
    /// `continue`: pass it back (`?continue=…`) for the next page; absent on the last page.
    public var continueToken: String?

    public init(items: [Item], continueToken: String? = nil) {
        self.items = items
        self.continueToken = continueToken
    }

    private enum CodingKeys: String, CodingKey {
        case items
        case continueToken = "continue"
    }
}

/// `POST /api/v1/login`.
public struct LoginRequest: Codable, Sendable, Equatable {
    public var name: String
    public var password: String
    /// A name for the token the login creates (default `login`).
    public var tokenName: String?
    /// Required when `password` is one-time (a first admin's, or one an admin set): the password
    /// chosen instead, which replaces it before the token is issued.
    public var newPassword: String?

    public init(name: String, password: String, tokenName: String? = nil, newPassword: String? = nil) {
        self.name = name
        self.password = password
        self.tokenName = tokenName
        self.newPassword = newPassword
    }
}

/// A newly created API token: the secret, shown once, and its record.
public struct IssuedToken: Codable, Sendable, Equatable {
    public var token: String
    public var tokenInfo: APIToken
    /// The user the token acts as (in login answers).
    public var user: User?

    public init(token: String, tokenInfo: APIToken, user: User? = nil) {
        self.token = token
        self.tokenInfo = tokenInfo
        self.user = user
    }
}

/// `POST /api/v1/users/{ref}/tokens`.
public struct TokenRequest: Codable, Sendable, Equatable {
    public var name: String
    /// The token stops working after this long; never when absent.
    public var expiresIn: TapDuration?

    public init(name: String, expiresIn: TapDuration? = nil) {
        self.name = name
        self.expiresIn = expiresIn
    }
}

/// `POST /api/v1/users`: a user spec and, optionally, an initial password.
public struct UserCreateRequest: Codable, Sendable, Equatable {
    public var name: String
    public var role: Role
    public var tenants: [String]?
    public var quota: Int?
    public var password: String?

    public init(name: String, role: Role, tenants: [String]? = nil, quota: Int? = nil, password: String? = nil) {
        self.name = name
        self.role = role
        self.tenants = tenants
        self.quota = quota
        self.password = password
    }

    public var spec: UserSpec { UserSpec(name: name, role: role, tenants: tenants ?? [], quota: quota) }
}

/// `PATCH /api/v1/users/{ref}`: an admin changes role, tenants, quota or whether the user is disabled;
/// anyone changes their own password.
public struct UserPatch: Codable, Sendable, Equatable {
    public var role: Role?
    public var tenants: [String]?
    public var quota: Int?
    /// Admins only: `true` signs the user out everywhere and stops their live taps; `false` lets them in again.
    public var disabled: Bool?
    public var password: String?
    /// Required when users change their own password.
    public var currentPassword: String?
    /// With your own new password: also revoke every other session and API token of yours (the one
    /// making the request stays). An admin setting someone's password always revokes all of theirs.
    public var revokeOtherSessions: Bool?

    public init(role: Role? = nil, tenants: [String]? = nil, quota: Int? = nil, disabled: Bool? = nil, password: String? = nil,
                currentPassword: String? = nil, revokeOtherSessions: Bool? = nil) {
        self.role = role
        self.tenants = tenants
        self.quota = quota
        self.disabled = disabled
        self.password = password
        self.currentPassword = currentPassword
        self.revokeOtherSessions = revokeOtherSessions
    }
}

/// `PATCH /api/v1/tenants/{ref}`.
public struct TenantPatch: Codable, Sendable, Equatable {
    public var description: String?
    /// The new stored-bytes quota: absent leaves it, `null` removes it (no bound), a number sets it.
    public var storedBytesQuota: QuotaChange?

    /// A change of an optional bound, as JSON merge patch (RFC 7386) writes it: a value, or `null` to remove it.
    public enum QuotaChange: Sendable, Equatable {
        case set(UInt64)
        case remove
    }

    public init(description: String? = nil, storedBytesQuota: QuotaChange? = nil) {
        self.description = description
        self.storedBytesQuota = storedBytesQuota
    }

    private enum CodingKeys: String, CodingKey { case description, storedBytesQuota }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        if c.contains(.storedBytesQuota) {
            storedBytesQuota = try c.decodeNil(forKey: .storedBytesQuota) ? .remove : .set(try c.decode(UInt64.self, forKey: .storedBytesQuota))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(description, forKey: .description)
        switch storedBytesQuota {
        case .set(let bytes): try c.encode(bytes, forKey: .storedBytesQuota)
        case .remove: try c.encodeNil(forKey: .storedBytesQuota)
        case nil: break
        }
    }
}

/// `POST /api/v1/taps/{id}/reactivate`.
public struct ReactivateRequest: Codable, Sendable, Equatable {
    /// The new period's length; the earlier tap's duration when absent.
    public var duration: TapDuration?
    public init(duration: TapDuration? = nil) { self.duration = duration }
}

/// How many known workloads, on how many hosts, a filter selects.
public struct FilterMatches: Codable, Sendable, Equatable {
    public var workloads: Int
    public var hosts: Int
    public init(workloads: Int, hosts: Int) {
        self.workloads = workloads
        self.hosts = hosts
    }
}

/// A filter as the API answers it: the record and what it matches now.
public struct FilterView: Codable, Sendable, Equatable {
    public var filter: Filter
    public var matches: FilterMatches

    public init(filter: Filter, matches: FilterMatches) {
        self.filter = filter
        self.matches = matches
    }

    private enum CodingKeys: String, CodingKey { case matches }

    public init(from decoder: any Decoder) throws {
        filter = try Filter(from: decoder)
        matches = try decoder.container(keyedBy: CodingKeys.self).decode(FilterMatches.self, forKey: .matches)
    }

    public func encode(to encoder: any Encoder) throws {
        try filter.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(matches, forKey: .matches)
    }
}

/// `POST /api/v1/filters/preview`: what a filter spec would select, without saving it.
public struct FilterPreview: Codable, Sendable, Equatable {
    public var workloads: Int
    public var hosts: Int
    public var items: [Workload]
    public init(workloads: Int, hosts: Int, items: [Workload]) {
        self.workloads = workloads
        self.hosts = hosts
        self.items = items
    }
}

/// A tap as the API answers a create or reactivate: the tap and any warnings (e.g. no matching workload yet).
public struct TapView: Codable, Sendable, Equatable {
    public var tap: Tap
    public var warnings: [String]

    public init(tap: Tap, warnings: [String] = []) {
        self.tap = tap
        self.warnings = warnings
    }

    private enum CodingKeys: String, CodingKey { case warnings }

    public init(from decoder: any Decoder) throws {
        tap = try Tap(from: decoder)
        warnings = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent([String].self, forKey: .warnings) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        try tap.encode(to: encoder)
        if !warnings.isEmpty {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(warnings, forKey: .warnings)
        }
    }
}

/// An identity provider people sign in with (`GET /api/v1/auth/providers`, open to anyone): what the CLI's
/// `tapster login --oidc` needs to start a sign-in, and no secret of the server's.
public struct IdentityProviderInfo: Codable, Sendable, Equatable {
    /// The provider's name here: `tapster login --oidc NAME`, the portal's "Sign in with NAME".
    public var name: String
    public var issuer: String
    /// The client the CLI signs in as (a public client: PKCE, no secret).
    public var clientId: String
    /// For a provider that wants a secret even from installed applications: not a secret, every CLI gets it.
    public var clientSecret: String?
    public var scopes: [String]

    public init(name: String, issuer: String, clientId: String, clientSecret: String? = nil, scopes: [String]) {
        self.name = name
        self.issuer = issuer
        self.clientId = clientId
        self.clientSecret = clientSecret
        self.scopes = scopes
    }
}
