import Foundation

/// An authenticated webhook a detection engine calls to open a capture within an admin's filter
/// (Alertmanager, Suricata EVE, or a generic JSON body). Owned by the admin who made it: its captures
/// and taps are theirs. Its secret is never part of it: it is shown once, in ``TriggerCreated``.
public struct Trigger: Codable, Sendable, Equatable, Identifiable {
    /// Also the webhook's path segment (`/api/v1/triggers/{id}/webhook`): a random UUID, so the URL names no trigger.
    public var id: String
    public var spec: TriggerSpec
    /// The name of the admin who made it, as it was then (shown).
    public var owner: String
    /// The id of that admin, whose principal opens the captures.
    public var ownerID: String
    public var createdAt: Date
    public var updatedAt: Date
    /// What its webhook has seen so far.
    public var counters: TriggerCounters
    /// The webhook's absolute URL, when the server knows its external URL (filled in on every read).
    public var webhookURL: String?

    public init(id: String = Identifier.make(), spec: TriggerSpec, owner: String, ownerID: String, createdAt: Date,
                updatedAt: Date? = nil, counters: TriggerCounters = TriggerCounters()) {
        self.id = id
        self.spec = spec
        self.owner = owner
        self.ownerID = ownerID
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.counters = counters
    }

    public var name: String { spec.name }

    /// The webhook's path on the server.
    public var webhookPath: String { "/api/v1/triggers/\(id)/webhook" }

    private enum CodingKeys: String, CodingKey {
        case id, owner, ownerId, createdAt, updatedAt, counters, webhookPath, webhookUrl
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        spec = try TriggerSpec(from: decoder)
        owner = try c.decode(String.self, forKey: .owner)
        ownerID = try c.decode(String.self, forKey: .ownerId)
        createdAt = try c.decode(Date.self, forKey: .createdAt)
        updatedAt = try c.decode(Date.self, forKey: .updatedAt)
        counters = try c.decodeIfPresent(TriggerCounters.self, forKey: .counters) ?? TriggerCounters()
        webhookURL = try c.decodeIfPresent(String.self, forKey: .webhookUrl)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try spec.encode(to: encoder)
        try c.encode(owner, forKey: .owner)
        try c.encode(ownerID, forKey: .ownerId)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(counters, forKey: .counters)
        try c.encode(webhookPath, forKey: .webhookPath)
        try c.encodeIfPresent(webhookURL, forKey: .webhookUrl)
    }
}

/// What a trigger's webhook has seen: every call, and what came of it.
public struct TriggerCounters: Codable, Sendable, Equatable {
    /// Authenticated calls carrying a firing alert.
    public var fired: UInt64 = 0
    /// Captures or taps opened.
    public var opened: UInt64 = 0
    /// Firings inside the rate limit: nothing opened, nothing extended.
    public var suppressed: UInt64 = 0
    /// Firings whose alert selected no workload of the filter (or none that could be opened).
    public var unmatched: UInt64 = 0
    /// Calls refused: unsigned, wrongly signed, or with a body that is no alert.
    public var refused: UInt64 = 0
    /// When the last authenticated alert arrived.
    public var lastAlertAt: Date?
    /// Its text (signatures, alert names or reason).
    public var lastAlert: String?
    /// The capture or tap the trigger opened last.
    public var lastOpened: String?

    public init() {}
}

/// `POST /api/v1/triggers` (and rotating its secret) answers with the trigger and its secret — the only
/// time the secret is shown — and the webhook's URL.
public struct TriggerCreated: Codable, Sendable, Equatable {
    public var trigger: Trigger
    /// The bearer token or HMAC key the detection engine sends (`Authorization: Bearer …` or `X-Tapster-Signature`).
    public var secret: String

    public init(trigger: Trigger, secret: String) {
        self.trigger = trigger
        self.secret = secret
    }

    private enum CodingKeys: String, CodingKey { case secret }

    public init(from decoder: any Decoder) throws {
        trigger = try Trigger(from: decoder)
        secret = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .secret)
    }

    public func encode(to encoder: any Encoder) throws {
        try trigger.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(secret, forKey: .secret)
    }
}

extension Trigger: Pageable {
    /// Listed by name, as the store orders them.
    public var pageKey: PageKey { .ascending(name, id) }
}
