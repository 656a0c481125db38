import Foundation
import TapsterCore

/// The part of Keystone's answer to `GET /v3/auth/tokens` (and `POST`, for the service token) that Tapster reads:
/// `{"token": {"user": …, "project": …, "roles": […], "expires_at": …}}`. Everything else (the catalog, audit
/// ids, methods) is ignored. A domain- or system-scoped token has no `project`; an unscoped one has no roles
/// either.
struct KeystoneToken: Decodable, Sendable, Equatable {
    /// A Keystone object as tokens name it: a domain, a role.
    struct Named: Decodable, Sendable, Equatable {
        var id: String
        var name: String
    }

    /// The user, or the project, with the domain it lives in.
    struct Owned: Decodable, Sendable, Equatable {
        var id: String
        var name: String
        var domain: Named?
    }

    var user: Owned
    var project: Owned?
    var roles: [Named]
    var expiresAt: Date

    private enum Envelope: String, CodingKey { case token }
    private enum CodingKeys: String, CodingKey { case user, project, roles, expiresAt = "expires_at" }

    init(user: Owned, project: Owned?, roles: [Named], expiresAt: Date) {
        self.user = user
        self.project = project
        self.roles = roles
        self.expiresAt = expiresAt
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Envelope.self).nestedContainer(keyedBy: CodingKeys.self, forKey: .token)
        user = try c.decode(Owned.self, forKey: .user)
        project = try c.decodeIfPresent(Owned.self, forKey: .project)
        roles = try c.decodeIfPresent([Named].self, forKey: .roles) ?? []
        let expiry = try c.decode(String.self, forKey: .expiresAt)
        guard let date = Self.parseTime(expiry) else {
            throw DecodingError.dataCorruptedError(forKey: .expiresAt, in: c, debugDescription: "\(expiry) is not an ISO 8601 time")
        }
        expiresAt = date
    }

    /// Decodes Keystone's answer; an answer that is not a token is `unavailable` (Keystone misbehaves, not the client).
    static func decode(_ body: Data) throws(TapsterError) -> KeystoneToken {
        do {
            return try JSONDecoder().decode(KeystoneToken.self, from: body)
        } catch {
            throw TapsterError(.unavailable, "Keystone's token answer could not be read: \(error)")
        }
    }

    /// Keystone writes microseconds (`2026-12-05T09:14:03.000000Z`); Foundation's ISO 8601 style reads at
    /// most milliseconds, so the fraction is read apart.
    static func parseTime(_ text: String) -> Date? {
        guard let dot = text.firstIndex(of: ".") else { return TapsterJSON.parseTime(text) }
        let zone = text[dot...].firstIndex { $0 == "Z" || $0 == "+" || $0 == "-" } ?? text.endIndex
        let digits = text[text.index(after: dot)..<zone]
        guard digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber), let whole = TapsterJSON.parseTime(String(text[..<dot] + text[zone...]))
        else { return nil }
        return whole.addingTimeInterval(Double("0." + digits) ?? 0)
    }
}
