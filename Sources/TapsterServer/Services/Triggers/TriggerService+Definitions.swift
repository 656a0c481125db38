import Foundation
import TapsterCore
import TapsterStore

/// Defining triggers: admins create, read, delete them and rotate their secrets (Core's ``Policy`` decides).
extension TriggerService {
    public func createTrigger(_ p: Principal, _ spec: TriggerSpec) async throws -> TriggerCreated {
        try Policy.require(p, .create, .trigger, .collection)
        let spec = try spec.validated()
        _ = try await catalog.visibleFilter(p, spec.filter)
        let target = try await catalog.target(p, spec.target)
        try Self.requireOpenable(target, spec)
        let secret = Self.newSecret()
        let trigger = Trigger(spec: spec, owner: p.name, ownerID: p.userID, createdAt: now)
        try await store.transaction { session in
            try await session.insertTrigger(trigger, secret: secret)
            try await audit(session, p, AuditAction.triggerCreated, .trigger, id: trigger.id, name: spec.name, tenant: nil,
                            details: Self.auditDetails(spec))
        }
        return TriggerCreated(trigger: withURL(trigger), secret: secret)
    }

    public func listTriggers(_ p: Principal) async throws -> [Trigger] {
        try Policy.require(p, .read, .trigger, .collection)
        return try await store.listTriggers().map(withURL)
    }

    public func trigger(_ p: Principal, _ reference: String) async throws -> Trigger {
        try await visibleTrigger(p, reference, .read)
    }

    public func deleteTrigger(_ p: Principal, _ reference: String) async throws {
        let trigger = try await visibleTrigger(p, reference, .delete)
        try await store.transaction { session in
            guard try await session.deleteTrigger(id: trigger.id) else { return }
            try await audit(session, p, AuditAction.triggerDeleted, .trigger, id: trigger.id, name: trigger.name, tenant: nil,
                            details: ["opened": String(trigger.counters.opened)])
        }
    }

    /// A new secret: the old one stops working at once (an engine still sending it is refused, 401).
    public func rotateSecret(_ p: Principal, _ reference: String) async throws -> TriggerCreated {
        let trigger = try await visibleTrigger(p, reference, .update)
        let secret = Self.newSecret()
        try await store.transaction { session in
            guard try await session.setTriggerSecret(id: trigger.id, secret: secret, at: now) else {
                throw TapsterError.notFound("trigger", reference)
            }
            try await audit(session, p, AuditAction.triggerSecretRotated, .trigger, id: trigger.id, name: trigger.name, tenant: nil)
        }
        return TriggerCreated(trigger: trigger, secret: secret)
    }

    func visibleTrigger(_ p: Principal, _ reference: String, _ action: Action) async throws -> Trigger {
        let trigger = try await store.findTrigger(reference)
        try Policy.require(p, action, .trigger, .object(visible: trigger != nil), reference: reference)
        guard let trigger else { throw TapsterError.notFound("trigger", reference) }
        return withURL(trigger)
    }

    func withURL(_ trigger: Trigger) -> Trigger {
        var trigger = trigger
        trigger.webhookURL = externalURL?.absolute(trigger.webhookPath)
        return trigger
    }

    /// A store target opens a stored capture; a mirroring target a tap. Streams need a reader and flows carry no
    /// packets, so neither can be a trigger's. `payload` narrows a stored capture only (a tap's is its target's).
    static func requireOpenable(_ target: Target, _ spec: TriggerSpec) throws(TapsterError) {
        switch target.kind {
        case .store:
            return
        case .erspan, .vxlan, .gre, .port:
            if spec.payload != nil {
                throw TapsterError.invalid("payload", "target \"\(target.name)\" is a \(target.kind.rawValue) target: its payload is its own; "
                                           + "--payload narrows stored captures only")
            }
        case .stream, .flows:
            throw TapsterError.invalid("target", "target \"\(target.name)\" is a \(target.kind.rawValue) target; a trigger opens "
                                       + "a stored capture (a store target) or a tap to a mirroring target (erspan, vxlan, gre, port)")
        }
    }

    static func auditDetails(_ spec: TriggerSpec) -> [String: String] {
        var details = ["filter": spec.filter, "target": spec.target, "duration": spec.duration.description,
                       "rate": spec.effectiveRate.description]
        if let before = spec.before { details["before"] = before.description }
        if let payload = spec.payload { details["payload"] = payload.description }
        return details
    }

    /// 32 random bytes, base64url: what the engine sends as its bearer token or HMAC key.
    static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return "tgs_" + Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
