import Foundation
import TapsterCore
import TapsterOIDC
import Yams

/// Who else may vouch for people (`--identity-config FILE`): OpenID Connect providers, the rules that turn
/// their claims into roles and tenants, and Keystone. Local accounts and API tokens work with or without it.
///
/// ```yaml
/// oidc_providers:
///   - name: corp                      # shown as "Sign in with corp"; `tapster login --oidc corp`
///     issuer: https://idp.example.com
///     client_id: tapster              # the portal's client
///     client_secret_file: /etc/tapster/oidc-secret   # or client_secret, or $TAPSTER_OIDC_<NAME>_CLIENT_SECRET
///     scopes: [openid, profile, email, groups]
///     username_claim: preferred_username
///     cli_client_id: tapster-cli      # a public client for `tapster login --oidc` (PKCE, no secret)
///     cli_client_secret: ...          # only for providers that want one even from installed apps (it is public:
///                                     # every CLI gets it from GET /api/v1/auth/providers, as with Google's)
///     audiences: []                   # more accepted `aud` values for bearer tokens
///     clock_skew_seconds: 60          # how far clocks may disagree on exp, nbf, iat
///     opaque_access_tokens: introspection   # or userinfo (no audience check: opt-in), or refuse
///     allow_insecure_http: false      # http:// only for loopback issuers unless this says so
/// role_mappings:                      # `provider: NAME` on each rule once there are several providers
///   - {claim: groups, value: net-admins, role: admin}
///   - {claim: groups, value: team-shop, role: owner, tenant: shop}
///   - {claim: groups, value: auditors, role: auditor}
/// ```
public struct IdentityConfiguration: Sendable, Equatable {
    public var providers: [OIDCProviderConfiguration]
    public var roleMapping: RoleMapping
    /// Keystone, when OpenStack users' tokens are accepted (`keystone:` in the file, or `--keystone-url`).
    public var keystone: KeystoneConfiguration?

    public init(providers: [OIDCProviderConfiguration] = [], roleMapping: RoleMapping = RoleMapping(rules: []),
                keystone: KeystoneConfiguration? = nil) {
        self.providers = providers
        self.roleMapping = roleMapping
        self.keystone = keystone
    }

    /// No provider: local accounts and API tokens only.
    public static let localOnly = IdentityConfiguration()

    /// Reads and checks a configuration file; errors name the file and the field.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(TapsterError) -> IdentityConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw TapsterError.invalid("identity-config", "cannot read \(path): \(error.localizedDescription)")
        }
        return try parse(text, origin: path, environment: environment)
    }

    /// Parses the YAML (or JSON) text of a configuration file.
    public static func parse(_ text: String, origin: String = "identity configuration",
                             environment: [String: String] = [:]) throws(TapsterError) -> IdentityConfiguration {
        let file: IdentityConfigurationFile
        do {
            file = try YAMLDecoder().decode(IdentityConfigurationFile.self, from: text)
        } catch {
            throw TapsterError.invalid("identity-config", "\(origin): \(Self.describe(error))")
        }
        var providers: [OIDCProviderConfiguration] = []
        for entry in file.oidcProviders ?? [] {
            let provider = try entry.resolved(environment: environment, origin: origin)
            guard !providers.contains(where: { $0.name == provider.name }) else {
                throw TapsterError.invalid("oidc_providers", "\(origin): two providers are named \(provider.name)")
            }
            providers.append(provider)
        }
        var rules: [RoleMappingRule] = []
        for (index, rule) in (file.roleMappings ?? []).enumerated() {
            do {
                rules.append(try rule.validated())
            } catch {
                throw TapsterError.invalid("role_mappings[\(index)].\(error.field ?? "")", "\(origin): \(error.message)")
            }
        }
        for (index, rule) in rules.enumerated() {
            if let provider = rule.provider {
                guard providers.contains(where: { $0.name == provider }) else {
                    throw TapsterError.invalid("role_mappings[\(index)].provider", "\(origin): no provider is named \(provider)")
                }
            } else if providers.count > 1 {
                throw TapsterError.invalid("role_mappings[\(index)].provider",
                                           "\(origin): with several providers each rule names the one whose claims it reads")
            }
        }
        let keystone = try file.keystone.map { entry throws(TapsterError) in try entry.resolved(environment: environment, origin: origin) }
        if !providers.isEmpty, rules.isEmpty {
            throw TapsterError.invalid("role_mappings", "\(origin): OpenID Connect providers need role mappings; without one nobody could sign in")
        }
        return IdentityConfiguration(providers: providers, roleMapping: RoleMapping(rules: rules), keystone: keystone)
    }

    private static func describe(_ error: any Error) -> String {
        /// `oidc_providers[0].client_id`.
        func path(_ keys: [any CodingKey]) -> String {
            keys.reduce("") { text, key in key.intValue.map { text + "[\($0)]" } ?? (text.isEmpty ? key.stringValue : text + "." + key.stringValue) }
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context), DecodingError.dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

/// One OpenID Connect provider: where it is, and this server's clients at it.
public struct OIDCProviderConfiguration: Sendable, Equatable {
    /// A resource name: the sign-in button, `tapster login --oidc NAME`, the audit's `auth: oidc:NAME`.
    public var name: String
    public var issuer: String
    /// The portal's (confidential) client.
    public var clientID: String
    public var clientSecret: String?
    public var scopes: [String]
    /// The claim whose value names the user in Tapster (made a valid resource name).
    public var usernameClaim: String
    /// A public client for the CLI's sign-in (PKCE, no secret); `nil`: the CLI uses ``clientID``.
    public var cliClientID: String?
    /// The "secret" of the CLI's client, for providers that want one even from installed applications. It is
    /// not secret: every CLI receives it (`GET /api/v1/auth/providers`), as with Google's installed-app clients.
    public var cliClientSecret: String?
    /// More `aud` values accepted on bearer tokens (e.g. a JWT access token's API audience).
    public var extraAudiences: [String]
    /// How far this server's clock and the provider's may disagree (`exp`, `nbf`, `iat`).
    public var clockSkew: TimeInterval
    /// How an opaque (non-JWT) access token of this provider is checked.
    public var opaqueAccessTokens: OpaqueAccessTokenCheck
    /// Which of the provider's URLs are talked to (`https`, loopback `http`).
    public var urlPolicy: ProviderURLPolicy

    public init(name: String, issuer: String, clientID: String, clientSecret: String? = nil,
                scopes: [String] = ["openid", "profile", "email"], usernameClaim: String = "preferred_username",
                cliClientID: String? = nil, extraAudiences: [String] = [], clockSkew: TimeInterval = 60, cliClientSecret: String? = nil,
                opaqueAccessTokens: OpaqueAccessTokenCheck = .introspection, urlPolicy: ProviderURLPolicy = ProviderURLPolicy()) {
        self.name = name
        self.issuer = issuer
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.scopes = scopes
        self.usernameClaim = usernameClaim
        self.cliClientID = cliClientID
        self.extraAudiences = extraAudiences
        self.clockSkew = clockSkew
        self.cliClientSecret = cliClientSecret
        self.opaqueAccessTokens = opaqueAccessTokens
        self.urlPolicy = urlPolicy
    }

    /// Every audience a token of this provider may carry to be accepted here.
    public var audiences: Set<String> {
        Set([clientID] + (cliClientID.map { [$0] } ?? []) + extraAudiences)
    }

    /// The client the CLI signs in with.
    public var cliClient: String { cliClientID ?? clientID }
}

/// How a provider's opaque access tokens (not JWTs) are checked.
public enum OpaqueAccessTokenCheck: String, Sendable, Equatable, Decodable {
    /// RFC 7662 introspection with the portal's client: the token must be active and issued to one of this
    /// server's clients. Refused when the provider offers no introspection endpoint.
    case introspection
    /// The userinfo endpoint: who the token belongs to, but not which client it was issued to — any other
    /// application of the same provider holding a user's token could use it here. An admin's explicit choice.
    case userinfo
    /// Only JWTs (ID tokens, JWT access tokens).
    case refuse
}

/// Keystone, whose tokens the Neutron and native APIs accept (`X-Auth-Token`).
public struct KeystoneConfiguration: Sendable, Equatable {
    /// The identity endpoint, e.g. `http://keystone:5000/v3` (a URL without `/v3` gets it).
    public var url: String
    /// The service user Tapster validates tokens with (`GET /v3/auth/tokens` needs a token of its own).
    public var serviceUser: String
    public var servicePassword: String
    public var serviceProject: String
    public var serviceDomain: String
    /// Keystone role → Tapster role: `admin` → admin, `member` → owner of the project's tenant, `reader` → auditor.
    public var roleMap: [String: Role]

    public static let defaultRoleMap: [String: Role] = ["admin": .admin, "member": .owner, "reader": .auditor]

    public init(url: String, serviceUser: String, servicePassword: String, serviceProject: String = "service",
                serviceDomain: String = "Default", roleMap: [String: Role] = KeystoneConfiguration.defaultRoleMap) {
        self.url = url
        self.serviceUser = serviceUser
        self.servicePassword = servicePassword
        self.serviceProject = serviceProject
        self.serviceDomain = serviceDomain
        self.roleMap = roleMap
    }

    /// The `/v3` base every Keystone call is made under.
    public var v3: String {
        let trimmed = url.hasSuffix("/") ? String(url.dropLast()) : url
        return trimmed.hasSuffix("/v3") ? trimmed : trimmed + "/v3"
    }
}

/// The file's shape, converted to the values above at the edge.
private struct IdentityConfigurationFile: Decodable {
    var oidcProviders: [ProviderEntry]?
    var roleMappings: [RoleMappingRule]?
    var keystone: KeystoneEntry?

    enum CodingKeys: String, CodingKey {
        case oidcProviders = "oidc_providers", roleMappings = "role_mappings", keystone
    }

    struct ProviderEntry: Decodable {
        var name: String
        var issuer: String
        var clientId: String
        var clientSecret: String?
        var clientSecretFile: String?
        var scopes: [String]?
        var usernameClaim: String?
        var cliClientId: String?
        var cliClientSecret: String?
        var audiences: [String]?
        var clockSkewSeconds: Int?
        var opaqueAccessTokens: OpaqueAccessTokenCheck?
        var allowInsecureHttp: Bool?

        enum CodingKeys: String, CodingKey {
            case name, issuer, clientId = "client_id", clientSecret = "client_secret", clientSecretFile = "client_secret_file", scopes
            case usernameClaim = "username_claim", cliClientId = "cli_client_id", cliClientSecret = "cli_client_secret", audiences, clockSkewSeconds = "clock_skew_seconds"
            case opaqueAccessTokens = "opaque_access_tokens", allowInsecureHttp = "allow_insecure_http"
        }

        func resolved(environment: [String: String], origin: String) throws(TapsterError) -> OIDCProviderConfiguration {
            try ResourceName.validate(name, field: "oidc_providers.name")
            guard let url = URL(string: issuer), ["https", "http"].contains(url.scheme ?? ""), url.host != nil else {
                throw TapsterError.invalid("oidc_providers.\(name).issuer", "\(origin): \(issuer) is not an http(s) URL")
            }
            // Keys and tokens in clear text let anyone on the path forge an admin's token.
            guard ProviderURLPolicy(allowInsecureHTTP: allowInsecureHttp ?? false).permits(issuer) else {
                throw TapsterError.invalid("oidc_providers.\(name).issuer",
                                           "\(origin): \(issuer) is plain http on a non-loopback host; use https (or allow_insecure_http: true for a lab)")
            }
            if let cliClientSecret {
                guard let cliClientId, cliClientId != clientId, cliClientSecret != clientSecret else {
                    throw TapsterError.invalid("oidc_providers.\(name).cli_client_secret",
                                               "\(origin): is published to every CLI, so it belongs to a cli_client_id of its own, never to the portal's client")
                }
            }
            let variable = "TAPSTER_OIDC_\(name.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }.map(String.init).joined())_CLIENT_SECRET"
            var secret = clientSecret ?? environment[variable]
            if let clientSecretFile {
                do {
                    secret = try String(contentsOfFile: clientSecretFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                } catch {
                    throw TapsterError.invalid("oidc_providers.\(name).client_secret_file", "\(origin): cannot read \(clientSecretFile)")
                }
            }
            var scopes = scopes ?? ["openid", "profile", "email"]
            if !scopes.contains("openid") { scopes.insert("openid", at: 0) }
            return OIDCProviderConfiguration(name: name, issuer: issuer, clientID: clientId, clientSecret: secret, scopes: scopes,
                                             usernameClaim: usernameClaim ?? "preferred_username", cliClientID: cliClientId,
                                             extraAudiences: audiences ?? [], clockSkew: TimeInterval(clockSkewSeconds ?? 60),
                                             cliClientSecret: cliClientSecret, opaqueAccessTokens: opaqueAccessTokens ?? .introspection,
                                             urlPolicy: ProviderURLPolicy(allowInsecureHTTP: allowInsecureHttp ?? false))
        }
    }

    struct KeystoneEntry: Decodable {
        var url: String
        var serviceUser: String
        var servicePassword: String?
        var servicePasswordFile: String?
        var serviceProject: String?
        var serviceDomain: String?
        var roleMap: [String: Role]?

        enum CodingKeys: String, CodingKey {
            case url, serviceUser = "service_user", servicePassword = "service_password", servicePasswordFile = "service_password_file"
            case serviceProject = "service_project", serviceDomain = "service_domain", roleMap = "role_map"
        }

        func resolved(environment: [String: String], origin: String) throws(TapsterError) -> KeystoneConfiguration {
            var password = servicePassword ?? environment["TAPSTER_KEYSTONE_SERVICE_PASSWORD"]
            if let servicePasswordFile {
                do {
                    password = try String(contentsOfFile: servicePasswordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                } catch {
                    throw TapsterError.invalid("keystone.service_password_file", "\(origin): cannot read \(servicePasswordFile)")
                }
            }
            guard let password else {
                throw TapsterError.invalid("keystone.service_password", "\(origin): give service_password_file (or $TAPSTER_KEYSTONE_SERVICE_PASSWORD)")
            }
            return KeystoneConfiguration(url: url, serviceUser: serviceUser, servicePassword: password,
                                         serviceProject: serviceProject ?? "service", serviceDomain: serviceDomain ?? "Default",
                                         roleMap: roleMap ?? KeystoneConfiguration.defaultRoleMap)
        }
    }
}
