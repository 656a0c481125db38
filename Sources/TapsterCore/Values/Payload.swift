/// How much of each packet a target receives: everything, or only the first `snaplen` bytes.
///
/// Written `full` or `headers:<snaplen>` with `64 ≤ snaplen ≤ 9216`, in JSON as in the CLI.
public enum Payload: Sendable, Hashable, Codable, CustomStringConvertible {
    case full
    case headers(snaplen: Int)

    /// The snapshot length that libpcap is given for this payload.
    public var snaplen: Int {
        switch self {
        case .full: 262_144
        case .headers(let snaplen): snaplen
        }
    }

    public static let snaplenRange = 64...9216

    public init(parsing text: String) throws(TapsterError) {
        if text == "full" { self = .full; return }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "headers", let n = Int(parts[1]) else {
            throw TapsterError.invalid("payload", "\"\(text)\" is not \"full\" or \"headers:<snaplen>\"")
        }
        guard Payload.snaplenRange.contains(n) else {
            throw TapsterError.invalid("payload", "snaplen \(n) is outside 64–9216")
        }
        self = .headers(snaplen: n)
    }

    public var description: String {
        switch self {
        case .full: "full"
        case .headers(let n): "headers:\(n)"
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do { try self.init(parsing: text) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
