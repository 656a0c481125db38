import Foundation
import TapsterCore
import TapsterOIDC

/// `tapster auth check`: tries an identity configuration before a server uses it — each OpenID Connect
/// provider's discovery document and keys, what its endpoints offer, and Keystone's identity endpoint — and
/// says what it found, one finding per line, naming what failed.
public enum IdentityConfigurationCheck {
    /// One line of the report: passed or failed, and what.
    public struct Finding: Sendable, Equatable {
        public var ok: Bool
        public var text: String
    }

    public static func run(_ configuration: IdentityConfiguration, http: ProviderHTTP = .shared) async -> [Finding] {
        var findings: [Finding] = []
        if configuration.providers.isEmpty, configuration.keystone == nil {
            return [Finding(ok: true, text: "no identity provider: local accounts and API tokens only")]
        }
        for provider in configuration.providers {
            findings += await check(provider, http: http)
        }
        for rule in configuration.roleMapping.rules {
            let target = rule.tenant.map { "\(rule.role.rawValue) in tenant \($0)" } ?? rule.role.rawValue
            findings.append(Finding(ok: true, text: "mapping: \(rule.claim) = \(rule.value)\(rule.provider.map { " at \($0)" } ?? "") → \(target)"))
        }
        if let keystone = configuration.keystone {
            let (ok, text) = await KeystoneServiceToken.check(keystone, http: http)
            findings.append(Finding(ok: ok, text: text))
        }
        return findings
    }

    private static func check(_ provider: OIDCProviderConfiguration, http: ProviderHTTP) async -> [Finding] {
        let name = "provider \(provider.name)"
        let metadata: ProviderMetadata
        do {
            metadata = try await OAuthClient.discover(issuer: provider.issuer, http: http)
        } catch {
            return [Finding(ok: false, text: "\(name): discovery at \(ProviderMetadata.discoveryURL(issuer: provider.issuer)) failed: \((error as? TapsterError)?.message ?? "\(error)")")]
        }
        var findings = [Finding(ok: true, text: "\(name): issuer \(metadata.issuer), authorization \(metadata.authorizationEndpoint), token \(metadata.tokenEndpoint ?? "none")")]
        do {
            let answer = try await http.get(metadata.jwksURI)
            let keys = try JSONWebKeySet(data: answer.body).keys
            findings.append(Finding(ok: !keys.isEmpty, text: "\(name): \(keys.count) signing key(s) at \(metadata.jwksURI)"
                + (keys.isEmpty ? " — no key Tapster can verify with (RSA ≥ 2048 bits, P-256, P-384, Ed25519)" : "")))
        } catch {
            findings.append(Finding(ok: false, text: "\(name): keys at \(metadata.jwksURI): \((error as? TokenRejection)?.reason ?? (error as? TapsterError)?.message ?? "\(error)")"))
        }
        let algorithms = metadata.idTokenSigningAlgValuesSupported ?? []
        let usable = algorithms.filter(JSONWebKeySet.acceptedAlgorithms.contains)
        findings.append(Finding(ok: algorithms.isEmpty || !usable.isEmpty,
                                text: "\(name): ID tokens signed with \(algorithms.isEmpty ? "(not stated)" : algorithms.joined(separator: ", "))"))
        findings.append(Finding(ok: true, text: "\(name): PKCE S256 " + ((metadata.codeChallengeMethodsSupported ?? []).contains("S256") ? "offered" : "not stated (Tapster sends it anyway)")))
        findings.append(Finding(ok: true, text: "\(name): CLI sign-in by " + (metadata.supportsDeviceFlow ? "device code" : "browser and loopback redirect")
                                + ", userinfo " + (metadata.userinfoEndpoint == nil ? "none (opaque access tokens are refused)" : "yes")
                                + ", end session " + (metadata.endSessionEndpoint == nil ? "none" : "yes")))
        if provider.clientSecret == nil {
            findings.append(Finding(ok: false, text: "\(name): no client_secret for the portal's client \(provider.clientID)"))
        }
        return findings
    }
}
