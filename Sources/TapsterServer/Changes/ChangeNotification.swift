import Foundation

/// Changes as they travel between replicas: one PostgreSQL `NOTIFY` payload carries a batch of changes
/// (one transaction's, or part of it) and the replica that committed them, as compact JSON:
/// `{"r":"replica-a","i":"9f2c…","c":[["tap","id","c"],["workload","id","host","d"],["everything"]]}`.
///
/// `i` is the sending process's instance (random per start), so that a replica ignores its own
/// notifications even when another process was given the same name. A change this version does not
/// know decodes as ``Change/everything``: a newer replica's change makes an older one re-read everything
/// rather than miss it.
public struct ChangeNotification: Sendable, Equatable {
    /// PostgreSQL refuses payloads of 8000 bytes or more; this leaves room for nothing else to matter.
    public static let payloadLimit = 7_900

    /// The name of the replica that committed the changes.
    public var replica: String
    /// The sending process's instance (random per start).
    public var instance: String
    public var changes: [Change]

    public init(replica: String, instance: String, changes: [Change]) {
        self.replica = replica
        self.instance = instance
        self.changes = changes
    }

    /// The payloads carrying `changes`, in order: as few as fit, each under `limit` bytes. A change that
    /// cannot fit alone (it never happens with names and ids of bounded length) travels as ``Change/everything``.
    public static func payloads(replica: String, instance: String, changes: [Change], limit: Int = payloadLimit) -> [String] {
        let header = Wire(r: replica, i: instance, c: [])
        let overhead = encoded(header).utf8.count
        var payloads: [String] = []
        var current: [[String]] = []
        var size = overhead
        for change in changes {
            var element = Self.element(change)
            var cost = encoded(element).utf8.count + 1  // and its comma
            if overhead + cost >= limit {
                element = Self.element(.everything)
                cost = encoded(element).utf8.count + 1
            }
            if !current.isEmpty, size + cost >= limit {
                payloads.append(encoded(Wire(r: replica, i: instance, c: current)))
                current = []
                size = overhead
            }
            current.append(element)
            size += cost
        }
        if !current.isEmpty { payloads.append(encoded(Wire(r: replica, i: instance, c: current))) }
        return payloads
    }

    /// Decodes a payload; `nil` when it is not one (another program notifying on the channel).
    public init?(payload: String) {
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(payload.utf8)) else { return nil }
        self.init(replica: wire.r, instance: wire.i, changes: wire.c.map(Self.change))
    }

    private struct Wire: Codable {
        var r: String
        var i: String
        var c: [[String]]
    }

    private static func encoded<T: Encodable>(_ value: T) -> String {
        // Encoding strings and arrays of strings cannot fail.
        (try? String(decoding: JSONEncoder().encode(value), as: UTF8.self)) ?? "[]"
    }

    private static func element(_ change: Change) -> [String] {
        switch change {
        case .tap(let id, let kind): ["tap", id, kind.code]
        case .filter(let name, let kind): ["filter", name, kind.code]
        case .target(let name, let kind): ["target", name, kind.code]
        case .workload(let id, let host, let kind): ["workload", id, host, kind.code]
        case .agent(let name, let kind): ["agent", name, kind.code]
        case .namespaceMapping(let pattern, let kind): ["namespace-mapping", pattern, kind.code]
        case .everything: ["everything"]
        }
    }

    private static func change(_ element: [String]) -> Change {
        switch (element.first, element.count) {
        case ("tap", 3): Change.Kind(code: element[2]).map { .tap(id: element[1], $0) } ?? .everything
        case ("filter", 3): Change.Kind(code: element[2]).map { .filter(name: element[1], $0) } ?? .everything
        case ("target", 3): Change.Kind(code: element[2]).map { .target(name: element[1], $0) } ?? .everything
        case ("workload", 4): Change.Kind(code: element[3]).map { .workload(id: element[1], host: element[2], $0) } ?? .everything
        case ("agent", 3): Change.Kind(code: element[2]).map { .agent(name: element[1], $0) } ?? .everything
        case ("namespace-mapping", 3): Change.Kind(code: element[2]).map { .namespaceMapping(pattern: element[1], $0) } ?? .everything
        default: .everything
        }
    }
}

extension Change.Kind {
    /// One letter on the wire.
    fileprivate var code: String {
        switch self {
        case .created: "c"
        case .updated: "u"
        case .deleted: "d"
        }
    }

    fileprivate init?(code: String) {
        switch code {
        case "c": self = .created
        case "u": self = .updated
        case "d": self = .deleted
        default: return nil
        }
    }
}
