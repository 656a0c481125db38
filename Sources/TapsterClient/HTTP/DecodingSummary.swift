/// One line about why an answer could not be decoded (Swift's own descriptions span several).
enum DecodingSummary {
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "the top level" : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "\"\(key.stringValue)\" is missing at \(path(context.codingPath))"
        case .typeMismatch(_, let context): return "unexpected type at \(path(context.codingPath)): \(context.debugDescription)"
        case .valueNotFound(_, let context): return "missing value at \(path(context.codingPath))"
        case .dataCorrupted(let context): return "invalid data at \(path(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
