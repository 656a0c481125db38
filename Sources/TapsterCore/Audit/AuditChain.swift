import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The audit log's hash chain: how an event's hash is computed, and how a chain is verified.
///
/// With an ``AuditKey`` an event's hash is an HMAC of its canonical form (from the key's
/// ``AuditKey/keyedFrom`` on); without one, or before that event, a plain SHA-256.
public enum AuditChain {
    /// The ``AuditEvent/previousHash`` of the first event.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// Seals `entry` as event number `sequence` after the event whose hash is `previousHash`.
    public static func seal(_ entry: AuditEntry, sequence: Int64, time: Date, previousHash: String, key: AuditKey? = nil) -> AuditEvent {
        var event = AuditEvent(
            sequence: sequence, time: time, actor: entry.actor, action: entry.action, objectType: entry.objectType,
            objectId: entry.objectId, objectName: entry.objectName, tenant: entry.tenant, details: entry.details,
            previousHash: previousHash, hash: "")
        event.hash = hash(of: event, key: key)
        return event
    }

    /// The event's hash: keyed when `key` seals its sequence number, plain SHA-256 otherwise.
    public static func hash(of event: AuditEvent, key: AuditKey?) -> String {
        guard let key, key.seals(event.sequence) else { return hash(of: event) }
        return key.mac(canonicalForm(of: event))
    }

    /// SHA-256 (hex) of the event's canonical form: every field but ``AuditEvent/hash``,
    /// length-prefixed so that no two different events share a form (an absent optional is
    /// written `-`, which no length prefix is). Time counts in milliseconds.
    public static func hash(of event: AuditEvent) -> String {
        SHA256.hash(data: canonicalForm(of: event)).lowercaseHex
    }

    private static func canonicalForm(of event: AuditEvent) -> Data {
        var fields: [String?] = [
            String(event.sequence),
            String(event.time.millisecondsSince1970),
            event.actor, event.action, event.objectType,
            event.objectId, event.objectName, event.tenant,
        ]
        for key in event.details.keys.sorted() {
            fields.append(key)
            fields.append(event.details[key]!)
        }
        fields.append(event.previousHash)
        var canonical = Data()
        for field in fields {
            guard let field else {
                canonical.append(contentsOf: "-".utf8)
                continue
            }
            let bytes = Data(field.utf8)
            canonical.append(contentsOf: "\(bytes.count):".utf8)
            canonical.append(bytes)
        }
        return canonical
    }

    /// Verifies events given in sequence order, starting at sequence 1.
    ///
    /// `head`, when known, is the last sequence and hash recorded apart from the events, so
    /// that deleting events at the end of the log is detected too. With `key`, events from its
    /// ``AuditKey/keyedFrom`` on must carry its HMAC: rewriting them needs the key, not only the database.
    public static func verify(_ events: [AuditEvent], head: (sequence: Int64, hash: String)? = nil, key: AuditKey? = nil) -> AuditVerification {
        var previous = genesisHash
        var expected: Int64 = 1
        for event in events {
            if event.sequence != expected {
                return .broken(at: expected, checked: Int(expected - 1),
                               reason: "event \(expected) is missing (next stored event is \(event.sequence))")
            }
            if event.previousHash != previous {
                return .broken(at: event.sequence, checked: Int(expected - 1),
                               reason: "event \(event.sequence) does not link to event \(event.sequence - 1): it was edited, or one before it was")
            }
            if hash(of: event, key: key) != event.hash {
                let how = key?.seals(event.sequence) == true ? "its keyed hash (HMAC with the audit key)" : "its hash"
                return .broken(at: event.sequence, checked: Int(expected - 1),
                               reason: "event \(event.sequence) does not match \(how): it was edited")
            }
            previous = event.hash
            expected += 1
        }
        if let head {
            let last = expected - 1
            if head.sequence > last {
                return .broken(at: expected, checked: Int(last),
                               reason: "the log ends at event \(last) but \(head.sequence) were recorded: events were deleted at the end")
            }
            if head.sequence < last {
                return .broken(at: head.sequence + 1, checked: Int(head.sequence),
                               reason: "the log goes on past event \(head.sequence), the last one recorded: events were appended")
            }
            if head.sequence > 0, head.hash != previous {
                return .broken(at: head.sequence, checked: Int(head.sequence - 1),
                               reason: "event \(head.sequence) is not the one recorded as the last: it was replaced")
            }
        }
        return AuditVerification(valid: true, checked: events.count, firstBrokenSequence: nil, reason: nil, keyedFrom: key?.keyedFrom)
    }
}

/// The outcome of ``AuditChain/verify(_:head:)``.
public struct AuditVerification: Codable, Sendable, Equatable {
    public var valid: Bool
    /// How many events were verified good before the break (all of them when valid).
    public var checked: Int
    /// The first event where the chain is broken.
    public var firstBrokenSequence: Int64?
    public var reason: String?
    /// The first event verified with the audit key (HMAC); absent when the server has no key (plain SHA-256 chain).
    public var keyedFrom: Int64?

    public init(valid: Bool, checked: Int, firstBrokenSequence: Int64?, reason: String?, keyedFrom: Int64? = nil) {
        self.valid = valid
        self.checked = checked
        self.firstBrokenSequence = firstBrokenSequence
        self.reason = reason
        self.keyedFrom = keyedFrom
    }

    static func broken(at sequence: Int64, checked: Int, reason: String) -> AuditVerification {
        AuditVerification(valid: false, checked: checked, firstBrokenSequence: sequence, reason: reason)
    }
}
