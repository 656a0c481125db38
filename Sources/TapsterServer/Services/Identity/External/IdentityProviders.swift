import Crypto
import Foundation
import Logging
import TapsterCore
import TapsterOIDC

/// The identity providers this server trusts besides its own accounts: the OpenID Connect providers, the
/// role mapping their claims go through, and the bearer verifiers (OpenID Connect, Keystone) tried in turn
/// on a token that is not a Tapster API token.
///
/// A verified token is remembered until it expires (Keystone's for at most a minute, so that a revocation
/// counts within one), so that only its first use costs a call to the provider; an unknown token is
/// remembered as unknown for a few seconds, so that a client retrying a bad token does not either.
final class IdentityProviders: Sendable {
    let oidc: [OIDCProvider]
    let roleMapping: RoleMapping
    let verifiers: [any BearerVerifier]
    let remembered: RememberedBearers

    init(oidc: [OIDCProvider], roleMapping: RoleMapping, verifiers: [any BearerVerifier], clock: @escaping @Sendable () -> Date) {
        self.oidc = oidc
        self.roleMapping = roleMapping
        self.verifiers = verifiers
        self.remembered = RememberedBearers(clock: clock)
    }

    /// No provider: only Tapster's own accounts and tokens.
    static func none(clock: @escaping @Sendable () -> Date = { Date() }) -> IdentityProviders {
        IdentityProviders(oidc: [], roleMapping: RoleMapping(rules: []), verifiers: [], clock: clock)
    }

    /// The providers of `configuration`, with their verifiers.
    static func make(_ configuration: IdentityConfiguration, http: ProviderHTTP = .shared, clock: @escaping @Sendable () -> Date,
                     logger: Logger) -> IdentityProviders {
        let oidc = configuration.providers.map { OIDCProvider(configuration: $0, http: http, clock: clock, logger: logger) }
        var verifiers: [any BearerVerifier] = []
        if !oidc.isEmpty { verifiers.append(OIDCBearerVerifier(providers: oidc, roleMapping: configuration.roleMapping)) }
        // After OpenID Connect's, which takes the JWTs: Keystone's tokens are the other kind.
        if let keystone = configuration.keystone { verifiers.append(KeystoneBearerVerifier(configuration: keystone, http: http, clock: clock, logger: logger)) }
        return IdentityProviders(oidc: oidc, roleMapping: configuration.roleMapping, verifiers: verifiers, clock: clock)
    }

    var isEmpty: Bool { verifiers.isEmpty }

    func provider(named name: String) -> OIDCProvider? {
        oidc.first { $0.name == name }
    }
}

/// Verified bearer tokens (by the SHA-256 of the token) and the user each stands for, until they stop vouching.
actor RememberedBearers {
    enum Entry {
        case user(id: String, method: AuthenticationMethod, until: Date)
        case unknown(until: Date)
        /// A person the sign-in refused (no mapping, disabled, name taken): the same token is refused again
        /// without a provider call or another audit event until ``refusedFor`` has passed.
        case refused(TapsterError, until: Date)

        var until: Date {
            switch self {
            case .user(_, _, let until), .unknown(let until), .refused(_, let until): until
            }
        }
    }

    private var entries: [String: Entry] = [:]
    private let clock: @Sendable () -> Date
    /// A bound on memory whatever clients send: past it, expired entries go, then the oldest half.
    static let capacity = 20_000
    static let unknownFor: TimeInterval = 5
    static let refusedFor: TimeInterval = 300

    init(clock: @escaping @Sendable () -> Date) {
        self.clock = clock
    }

    static func key(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    func lookup(_ key: String) -> Entry? {
        guard let entry = entries[key] else { return nil }
        if entry.until <= clock() {
            entries[key] = nil
            return nil
        }
        return entry
    }

    func remember(_ key: String, _ entry: Entry) {
        if entries.count >= Self.capacity {
            let now = clock()
            entries = entries.filter { $0.value.until > now }
            if entries.count >= Self.capacity {
                // Those that would end soonest go first; the half that lasts longest stays.
                let kept = entries.sorted { $0.value.until > $1.value.until }.prefix(Self.capacity / 2)
                entries = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
            }
        }
        entries[key] = entry
    }

    func rememberUnknown(_ key: String) {
        remember(key, .unknown(until: clock().addingTimeInterval(Self.unknownFor)))
    }

    /// Forgets every token (a test's key rotation or a changed mapping takes effect at once).
    func forgetAll() {
        entries = [:]
    }
}
