import Foundation
import Hummingbird
import TapsterCore

/// The audit log as CSV (RFC 4180), one event per row, with its chain hashes so an export can be
/// checked later. Cells a spreadsheet would run as a formula are prefixed with `'`.
enum AuditCSV {
    static let header = ["sequence", "time", "actor", "action", "object_type", "object_id", "object_name", "tenant", "details",
                         "previous_hash", "hash"]

    static func render(_ events: [AuditEvent]) -> String {
        var out = header.joined(separator: ",") + "\r\n"
        for event in events {
            let cells = [String(event.sequence), TapsterJSON.formatTime(event.time), event.actor, event.action, event.objectType,
                         event.objectId ?? "", event.objectName ?? "", event.tenant ?? "", details(event.details), event.previousHash, event.hash]
            out += cells.map(cell).joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// `key=value; key=value`, sorted by key.
    static func details(_ details: [String: String]) -> String {
        details.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
    }

    static func cell(_ text: String) -> String {
        var value = text
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
