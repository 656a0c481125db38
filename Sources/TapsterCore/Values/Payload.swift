/// How much of each packet a target receives: everything, or only the first `snaplen` bytes.
///
/// Written `full` or `headers:<snaplen>` with `64 ≤ snaplen ≤ 9216`, in JSON as in the CLI.
public enum Payload: Sendable, Hashable, TextualValue {
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

    public static func parse(_ text: String) throws(TapsterError) -> Self { try Self(parsing: text) }
}
