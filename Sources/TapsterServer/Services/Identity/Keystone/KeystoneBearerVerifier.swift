import Foundation
import Logging
import TapsterCore
import TapsterOIDC

/// OpenStack users' Keystone tokens (`X-Auth-Token`, or `Authorization: Bearer`), validated by Keystone itself:
/// `GET /v3/auth/tokens` with Tapster's service token in `X-Auth-Token` and the user's in `X-Subject-Token`, as
/// keystonemiddleware does for every OpenStack service. The answer becomes a sign-in through
/// ``ExternalSignIn/keystone(_:configuration:now:recheck:)``.
///
/// Its kind: every token that is not a JWT (the OpenID Connect verifier, tried first, takes those) — Keystone's
/// Fernet tokens. Tapster's own API tokens never get here: the store knows them first.
struct KeystoneBearerVerifier: BearerVerifier {
    let configuration: KeystoneConfiguration
    let http: ProviderHTTP
    let serviceToken: KeystoneServiceToken
    let clock: @Sendable () -> Date
    let logger: Logger

    init(configuration: KeystoneConfiguration, http: ProviderHTTP = .shared, clock: @escaping @Sendable () -> Date, logger: Logger) {
        self.configuration = configuration
        self.http = http
        self.clock = clock
        self.logger = logger
        self.serviceToken = KeystoneServiceToken(configuration: configuration, http: http, clock: clock, logger: logger)
    }

    func verify(bearer token: String) async throws -> ExternalSignIn? {
        guard !JSONWebToken.looksLikeJWT(token) else { return nil }
        let body = try await validate(token, renewingOnRefusal: true)
        return try ExternalSignIn.keystone(try KeystoneToken.decode(body), configuration: configuration, now: clock())
    }

    /// Keystone's answer about `token`: its body when valid. A refused service token is renewed once.
    private func validate(_ token: String, renewingOnRefusal: Bool) async throws -> Data {
        let service = try await serviceToken.token()
        let answer = try await http.get(configuration.v3 + "/auth/tokens?nocatalog",
                                        headers: [("X-Auth-Token", service), ("X-Subject-Token", token)])
        switch answer.status {
        case 200:
            return answer.body
        case 401 where renewingOnRefusal:
            await serviceToken.refused(service)
            return try await validate(token, renewingOnRefusal: false)
        case 401, 404:
            throw TapsterError(.unauthenticated, "the Keystone token is not valid (revoked or expired)")
        case 403:
            logger.error("Keystone does not let the service user validate tokens",
                         metadata: ["user": "\(configuration.serviceUser)", "answer": "\(KeystoneAnswer.excerpt(answer.body))"])
            throw TapsterError(.unavailable, "Keystone does not let Tapster's service user \(configuration.serviceUser) validate tokens (403): "
                               + "give it the service role in project \(configuration.serviceProject)")
        default:
            logger.warning("Keystone did not validate a token", metadata: ["status": "\(answer.status)", "answer": "\(KeystoneAnswer.excerpt(answer.body))"])
            throw TapsterError(.unavailable, "Keystone at \(configuration.v3) answered \(answer.status) to a token validation")
        }
    }
}
