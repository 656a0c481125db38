import Foundation
import Logging
import NIOHTTP1
import TapsterCore
import TapsterOIDC

/// Tapster's own Keystone token, which `GET /v3/auth/tokens` needs beside the token it validates: a password
/// authentication of the service user, scoped to the service project. Kept until shortly before it expires,
/// renewed then (one request however many validations wait for it), and dropped when Keystone refuses it.
actor KeystoneServiceToken {
    private let configuration: KeystoneConfiguration
    private let http: ProviderHTTP
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private var current: (token: String, expiresAt: Date)?
    private var renewal: Task<String, any Error>?

    /// A token this close to its expiry is renewed before use.
    static let renewalMargin: TimeInterval = 120

    init(configuration: KeystoneConfiguration, http: ProviderHTTP, clock: @escaping @Sendable () -> Date, logger: Logger) {
        self.configuration = configuration
        self.http = http
        self.clock = clock
        self.logger = logger
    }

    /// A service token valid for at least ``renewalMargin`` more.
    func token() async throws -> String {
        if let current, current.expiresAt.timeIntervalSince(clock()) > Self.renewalMargin { return current.token }
        if let renewal { return try await renewal.value }
        let task = Task { try await self.issue() }
        renewal = task
        defer { renewal = nil }
        return try await task.value
    }

    /// Forgets `token` after Keystone refused it (revoked, or Keystone restarted with other keys).
    func refused(_ token: String) {
        if current?.token == token { current = nil }
    }

    private func issue() async throws -> String {
        do {
            let (token, answer) = try await Self.authenticate(configuration, http: http)
            current = (token, answer.expiresAt)
            logger.info("got a Keystone service token", metadata: ["user": "\(configuration.serviceUser)",
                                                                   "expires_at": "\(TapsterJSON.formatTime(answer.expiresAt))"])
            return token
        } catch let error as TapsterError {
            logger.error("cannot validate Keystone tokens", metadata: ["reason": "\(error.message)"])
            throw error
        }
    }

    /// The service user's password authentication, scoped to the service project: the token and what Keystone
    /// says of it. Refusals are `unavailable`, naming the user, project and domain and quoting Keystone.
    static func authenticate(_ configuration: KeystoneConfiguration, http: ProviderHTTP) async throws -> (token: String, answer: KeystoneToken) {
        let domain = ["name": configuration.serviceDomain]
        let request: [String: Any] = ["auth": [
            "identity": ["methods": ["password"],
                         "password": ["user": ["name": configuration.serviceUser, "domain": domain, "password": configuration.servicePassword]]],
            "scope": ["project": ["name": configuration.serviceProject, "domain": domain]],
        ]]
        let answer = try await http.postJSON(configuration.v3 + "/auth/tokens?nocatalog", try JSONSerialization.data(withJSONObject: request))
        guard answer.status == 201, let token = answer.headers.first(name: "X-Subject-Token"), !token.isEmpty else {
            throw TapsterError(.unavailable, "Keystone at \(configuration.v3) refused the service user \(configuration.serviceUser) (project "
                               + "\(configuration.serviceProject), domain \(configuration.serviceDomain)): \(answer.status) \(KeystoneAnswer.excerpt(answer.body))")
        }
        return (token, try KeystoneToken.decode(answer.body))
    }

    /// What `tapster auth check` says of Keystone: whether the service user signs in, and whether its roles let
    /// it validate other people's tokens (Keystone's policy: the `service` or `admin` role).
    static func check(_ configuration: KeystoneConfiguration, http: ProviderHTTP = .shared) async -> (ok: Bool, text: String) {
        do {
            let roles = try await authenticate(configuration, http: http).answer.roles.map(\.name).sorted()
            let may = !Set(roles).isDisjoint(with: ["service", "admin"])
            return (may, "keystone: service user \(configuration.serviceUser) signed in to project \(configuration.serviceProject) at \(configuration.v3), "
                    + "roles \(roles.joined(separator: ", "))" + (may ? "" : " — Keystone will refuse its validations (403): give it the service role"))
        } catch {
            return (false, "keystone: " + ((error as? TapsterError)?.message ?? "\(error)"))
        }
    }
}

/// Helpers for reading Keystone's answers in messages.
enum KeystoneAnswer {
    /// The start of an answer's body, for logs (Keystone's error bodies name the problem; they never hold a token).
    static func excerpt(_ body: Data) -> String {
        String(decoding: body.prefix(300), as: UTF8.self)
    }
}
