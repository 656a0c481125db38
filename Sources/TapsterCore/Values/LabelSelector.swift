#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A Kubernetes-style label selector: `app=web,tier in (front,edge),!canary,env!=dev`.
///
/// Requirements are AND-ed. Supported operators: `=`, `==`, `!=`, `in (…)`, `notin (…)`,
/// existence (`key`) and non-existence (`!key`). The empty selector matches everything.
/// Encodes to and decodes from its canonical string form.
public struct LabelSelector: Sendable, Hashable, TextualValue {
    /// One requirement of a selector.
    public enum Requirement: Sendable, Hashable {
        case equals(key: String, value: String)
        case notEquals(key: String, value: String)
        case `in`(key: String, values: [String])
        case notIn(key: String, values: [String])
        case exists(key: String)
        case notExists(key: String)

        public var key: String {
            switch self {
            case .equals(let k, _), .notEquals(let k, _), .in(let k, _), .notIn(let k, _), .exists(let k), .notExists(let k): k
            }
        }

        func matches(_ labels: [String: String]) -> Bool {
            switch self {
            case .equals(let k, let v): labels[k] == v
            case .notEquals(let k, let v): labels[k] != v
            case .in(let k, let vs): labels[k].map(vs.contains) ?? false
            case .notIn(let k, let vs): !(labels[k].map(vs.contains) ?? false)
            case .exists(let k): labels[k] != nil
            case .notExists(let k): labels[k] == nil
            }
        }

        var text: String {
            switch self {
            case .equals(let k, let v): "\(k)=\(v)"
            case .notEquals(let k, let v): "\(k)!=\(v)"
            case .in(let k, let vs): "\(k) in (\(vs.joined(separator: ",")))"
            case .notIn(let k, let vs): "\(k) notin (\(vs.joined(separator: ",")))"
            case .exists(let k): k
            case .notExists(let k): "!\(k)"
            }
        }
    }

    public let requirements: [Requirement]

    public init(requirements: [Requirement]) {
        self.requirements = requirements
    }

    /// A selector requiring every given label, e.g. `["app": "web"]` → `app=web`.
    public init(matching labels: [String: String]) {
        self.requirements = labels.sorted { $0.key < $1.key }.map { .equals(key: $0.key, value: $0.value) }
    }

    /// Parses the textual form; errors name `field` and say what is wrong where.
    public init(parsing text: String, field: String = "selector") throws(TapsterError) {
        var requirements: [Requirement] = []
        for clause in try LabelSelector.splitClauses(text, field: field) {
            requirements.append(try LabelSelector.parseClause(clause, field: field))
        }
        self.requirements = requirements
    }

    public var isEmpty: Bool { requirements.isEmpty }

    /// Whether a workload with these labels is selected.
    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { $0.matches(labels) }
    }

    public var description: String { requirements.map(\.text).joined(separator: ",") }

    // MARK: Parsing

    private static func splitClauses(_ text: String, field: String) throws(TapsterError) -> [String] {
        var clauses: [String] = []
        var current = ""
        var depth = 0
        for c in text {
            switch c {
            case "(":
                depth += 1
                guard depth == 1 else { throw TapsterError.invalid(field, "nested parentheses in \"\(text)\"") }
                current.append(c)
            case ")":
                depth -= 1
                guard depth == 0 else { throw TapsterError.invalid(field, "unbalanced ')' in \"\(text)\"") }
                current.append(c)
            case "," where depth == 0:
                clauses.append(current)
                current = ""
            default:
                current.append(c)
            }
        }
        guard depth == 0 else { throw TapsterError.invalid(field, "missing ')' in \"\(text)\"") }
        clauses.append(current)
        let trimmed = clauses.map { $0.trimming(.whitespaces) }
        if trimmed == [""] { return [] }
        if let empty = trimmed.firstIndex(of: "") {
            throw TapsterError.invalid(field, "empty requirement at position \(empty + 1) in \"\(text)\"")
        }
        return trimmed
    }

    private static func parseClause(_ clause: String, field: String) throws(TapsterError) -> Requirement {
        if clause.hasPrefix("!") {
            let key = String(clause.dropFirst()).trimming(.whitespaces)
            try validateKey(key, field: field)
            return .notExists(key: key)
        }
        if let range = clause.firstRange(of: "!=") {
            let (k, v) = (clause[..<range.lowerBound], clause[range.upperBound...])
            return .notEquals(key: try key(k, field), value: try value(v, field))
        }
        if let range = clause.firstRange(of: "==") ?? clause.firstRange(of: "=") {
            let (k, v) = (clause[..<range.lowerBound], clause[range.upperBound...])
            return .equals(key: try key(k, field), value: try value(v, field))
        }
        let words = clause.split(separator: " ", maxSplits: 1).map(String.init)
        if words.count == 2 {
            let rest = words[1].trimming(.whitespaces)
            for op in ["notin", "in"] where rest.hasPrefix(op) {
                let list = rest.dropFirst(op.count).trimming(.whitespaces)
                guard list.hasPrefix("("), list.hasSuffix(")") else {
                    throw TapsterError.invalid(field, "\"\(clause)\": '\(op)' needs a list in parentheses, e.g. \(words[0]) \(op) (a,b)")
                }
                let values = try list.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
                    .map { v throws(TapsterError) in try value(v, field) }
                guard !values.isEmpty, !values.contains("") else {
                    throw TapsterError.invalid(field, "\"\(clause)\": the value list must not be empty")
                }
                let k = try key(Substring(words[0]), field)
                return op == "in" ? .in(key: k, values: values) : .notIn(key: k, values: values)
            }
            throw TapsterError.invalid(field, "\"\(clause)\" is not a requirement: use key=value, key!=value, key in (a,b), key notin (a,b), key or !key")
        }
        try validateKey(clause, field: field)
        return .exists(key: clause)
    }

    private static func key(_ raw: Substring, _ field: String) throws(TapsterError) -> String {
        let k = raw.trimming(.whitespaces)
        try validateKey(k, field: field)
        return k
    }

    private static func value(_ raw: Substring, _ field: String) throws(TapsterError) -> String {
        let v = raw.trimming(.whitespaces)
        try validateValue(v, field: field)
        return v
    }

    /// Label keys: an optional DNS prefix and `/`, then a name of 1–63 characters
    /// (alphanumerics, `-`, `_`, `.`, alphanumeric at both ends).
    public static func validateKey(_ key: String, field: String = "labels") throws(TapsterError) {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let name = parts.last, isLabelName(name),
              parts.count == 1 || (parts[0].count <= 253 && !parts[0].isEmpty && parts[0].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }))
        else {
            throw TapsterError.invalid(field, "\"\(key)\" is not a valid label key (letters, digits, '-', '_', '.', at most 63, optionally prefixed by a domain and '/')")
        }
    }

    /// Label values: empty, or 1–63 characters like a key's name part.
    public static func validateValue(_ value: String, field: String = "labels") throws(TapsterError) {
        guard value.isEmpty || isLabelName(Substring(value)) else {
            throw TapsterError.invalid(field, "\"\(value)\" is not a valid label value (letters, digits, '-', '_', '.', at most 63)")
        }
    }

    private static func isLabelName(_ s: Substring) -> Bool {
        guard (1...63).contains(s.count), let first = s.first, let last = s.last,
              first.isASCII, last.isASCII, first.isLetter || first.isNumber, last.isLetter || last.isNumber else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
    }

    public static func parse(_ text: String) throws(TapsterError) -> Self { try Self(parsing: text) }
}
