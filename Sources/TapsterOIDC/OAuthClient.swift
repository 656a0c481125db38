import Foundation
import TapsterCore

/// What a token endpoint answers (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3).
public struct TokenResponse: Decodable, Sendable, Equatable {
    public var idToken: String?
    public var accessToken: String?
    public var refreshToken: String?
    public var expiresIn: Int?

    public init(idToken: String? = nil, accessToken: String? = nil, refreshToken: String? = nil, expiresIn: Int? = nil) {
        self.idToken = idToken
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
    }

    enum CodingKeys: String, CodingKey {
        case idToken = "id_token", accessToken = "access_token", refreshToken = "refresh_token", expiresIn = "expires_in"
    }
}

/// A device authorization's answer (RFC 8628 §3.2): what the person opens and types, and how to wait.
public struct DeviceAuthorization: Decodable, Sendable, Equatable {
    public var deviceCode: String
    public var userCode: String
    public var verificationURI: String
    public var verificationURIComplete: String?
    public var expiresIn: Int
    public var interval: Int?

    enum CodingKeys: String, CodingKey {
        case deviceCode = "device_code", userCode = "user_code", verificationURI = "verification_uri"
        case verificationURIComplete = "verification_uri_complete", expiresIn = "expires_in", interval
    }
}

/// One client of one provider at its token and device endpoints: the portal (a confidential client, with
/// its secret) exchanging sign-in codes, or the CLI (a public client, PKCE only) signing in, polling a
/// device authorization and refreshing its tokens.
public struct OAuthClient: Sendable {
    public let metadata: ProviderMetadata
    public let clientID: String
    /// The portal's secret; `nil` for the CLI's public client.
    public let clientSecret: String?
    let http: ProviderHTTP

    public init(metadata: ProviderMetadata, clientID: String, clientSecret: String? = nil, http: ProviderHTTP = .shared) {
        self.metadata = metadata
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.http = http
    }

    /// Fetches and checks an issuer's discovery document (its issuer, and every endpoint against `policy`).
    public static func discover(issuer: String, http: ProviderHTTP = .shared, policy: ProviderURLPolicy = ProviderURLPolicy()) async throws -> ProviderMetadata {
        let url = ProviderMetadata.discoveryURL(issuer: issuer)
        guard policy.permits(url) else { throw TapsterError(.unavailable, "\(issuer) is not https") }
        let answer = try await http.get(url)
        guard answer.status == 200 else { throw TapsterError(.unavailable, "\(url) answered \(answer.status)") }
        do {
            let metadata = try ProviderMetadata(data: answer.body, expectedIssuer: issuer)
            try policy.check(metadata)
            return metadata
        } catch {
            throw TapsterError(.unavailable, error.reason)
        }
    }

    /// RFC 7662 introspection of a token, authenticated as this client: the provider's answer, or `nil`
    /// when it has no introspection endpoint.
    public func introspect(_ token: String) async throws -> JSONValue? {
        guard let endpoint = metadata.introspectionEndpoint else { return nil }
        let answer = try await http.postForm(endpoint, [("token", token)] + (clientSecret == nil ? [("client_id", clientID)] : []),
                                             headers: clientAuthorization)
        guard answer.status == 200, let json = try? JSONValue(data: answer.body) else {
            throw TapsterError(.unavailable, "\(metadata.issuer)'s introspection answered \(Self.errorText(answer))")
        }
        return json
    }

    /// `Authorization: Basic` for a confidential client.
    private var clientAuthorization: [(String, String)] {
        guard let clientSecret else { return [] }
        let credentials = FormEncoding.escape(clientID) + ":" + FormEncoding.escape(clientSecret)
        return [("Authorization", "Basic " + Data(credentials.utf8).base64EncodedString())]
    }

    /// The authorization code grant, with the PKCE verifier of the request that got the code.
    public func exchange(code: String, verifier: String, redirectURI: String) async throws -> TokenResponse {
        try await token([("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", verifier)],
                        refusal: "refused the sign-in's code")
    }

    /// New tokens for a refresh token.
    public func refresh(_ refreshToken: String) async throws -> TokenResponse {
        try await token([("grant_type", "refresh_token"), ("refresh_token", refreshToken)], refusal: "refused to refresh the sign-in")
    }

    /// Starts a device authorization (RFC 8628).
    public func authorizeDevice(scopes: [String]) async throws -> DeviceAuthorization {
        guard let endpoint = metadata.deviceAuthorizationEndpoint else {
            throw TapsterError(.invalidArgument, "\(metadata.issuer) does not offer the device authorization grant")
        }
        let answer = try await http.postForm(endpoint, [("client_id", clientID), ("scope", scopes.joined(separator: " "))])
        guard answer.status == 200, let authorization = try? JSONDecoder().decode(DeviceAuthorization.self, from: answer.body) else {
            throw TapsterError(.unavailable, "\(metadata.issuer) refused the device authorization: \(Self.errorText(answer))")
        }
        return authorization
    }

    /// Waits until the person approved the device authorization (or refused it, or it expired), polling at the
    /// interval the provider asks and slower when it says `slow_down`.
    public func awaitDeviceApproval(_ authorization: DeviceAuthorization) async throws -> TokenResponse {
        guard let endpoint = metadata.tokenEndpoint else { throw TapsterError(.unavailable, "\(metadata.issuer) has no token endpoint") }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(authorization.expiresIn))
        var interval = max(authorization.interval ?? 5, 1)
        while clock.now < deadline {
            try await Task.sleep(for: .seconds(interval))
            let answer = try await http.postForm(endpoint, [("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                                                            ("device_code", authorization.deviceCode), ("client_id", clientID)])
            if answer.status == 200, let tokens = try? JSONDecoder().decode(TokenResponse.self, from: answer.body) { return tokens }
            switch (try? JSONValue(data: answer.body))?["error"]?.string {
            case "authorization_pending": continue
            case "slow_down": interval += 5
            case "access_denied": throw TapsterError(.unauthenticated, "the sign-in was refused at \(metadata.issuer)")
            case "expired_token": throw TapsterError(.unauthenticated, "the sign-in code expired before it was approved; run the login again")
            default: throw TapsterError(.unavailable, "\(metadata.issuer) answered the device token request with \(Self.errorText(answer))")
            }
        }
        throw TapsterError(.unauthenticated, "the sign-in code expired before it was approved; run the login again")
    }

    private func token(_ form: [(String, String)], refusal: String) async throws -> TokenResponse {
        guard let endpoint = metadata.tokenEndpoint else { throw TapsterError(.unavailable, "\(metadata.issuer) has no token endpoint") }
        var form = form + [("client_id", clientID)]
        var headers: [(String, String)] = []
        if let clientSecret {
            if (metadata.tokenEndpointAuthMethodsSupported ?? ["client_secret_basic"]).contains("client_secret_basic") {
                headers = clientAuthorization
            } else {
                form.append(("client_secret", clientSecret))
            }
        }
        let answer = try await http.postForm(endpoint, form, headers: headers)
        guard answer.status == 200 else {
            throw TapsterError(.unauthenticated, "\(metadata.issuer) \(refusal): \(Self.errorText(answer))")
        }
        do {
            return try JSONDecoder().decode(TokenResponse.self, from: answer.body)
        } catch {
            throw TapsterError(.unavailable, "\(metadata.issuer)'s token endpoint answered something that is not a token response")
        }
    }

    /// The provider's `error` (and `error_description`), never the body's other members.
    static func errorText(_ answer: ProviderHTTP.Answer) -> String {
        let json = try? JSONValue(data: answer.body)
        guard let error = json?["error"]?.string else { return "status \(answer.status)" }
        return error + (json?["error_description"]?.string.map { " (\($0))" } ?? "")
    }
}
