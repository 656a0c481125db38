#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A request path as an endpoint: the query goes, and each segment that is an id — a number, a UUID, or a
/// long hexadecimal string — becomes `{id}`, so `/users/123/orders/9f3a0c1d2e4b` is `/users/{id}/orders/{id}`.
/// One rule, used by agents (what leaves the host) and by the server (what it lists).
public enum HTTPPathTemplate {
    /// The longest template kept: a path longer than this is cut (and ends with `…`).
    public static let maximumLength = 256

    /// The template of `path` (a request target: origin form, or absolute form whose path is taken).
    public static func template(_ path: Substring) -> String {
        var target = path
        if let scheme = target.firstRange(of: "://") {
            let afterAuthority = target[scheme.upperBound...].firstIndex(of: "/") ?? target.endIndex
            target = target[afterAuthority...]
        }
        if let query = target.firstIndex(where: { $0 == "?" || $0 == "#" }) { target = target[..<query] }
        if target.isEmpty { return "/" }
        var result = ""
        for (position, segment) in target.split(separator: "/", omittingEmptySubsequences: false).enumerated() {
            if position > 0 { result += "/" }
            result += isIdentifier(segment) ? "{id}" : String(segment)
            if result.utf8.count > maximumLength { return String(result.prefix(maximumLength)) + "…" }
        }
        return result
    }

    /// Whether a path segment names one thing rather than a kind of thing.
    static func isIdentifier(_ segment: Substring) -> Bool {
        guard !segment.isEmpty else { return false }
        let utf8 = segment.utf8
        if utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return true }
        let isHex = { (byte: UInt8) in (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46) }
        // A UUID: 8-4-4-4-12 hexadecimal digits.
        if utf8.count == 36 {
            let dashes: Set<Int> = [8, 13, 18, 23]
            if utf8.enumerated().allSatisfy({ dashes.contains($0.offset) ? $0.element == 0x2D : isHex($0.element) }) { return true }
        }
        // A long hexadecimal id (an object id, a hash) with at least one digit, so words like "deadbeef" in a
        // route stay unless they are long.
        if utf8.count >= 8, utf8.allSatisfy(isHex), utf8.contains(where: { $0 >= 0x30 && $0 <= 0x39 }) { return true }
        return false
    }
}
