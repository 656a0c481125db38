/// A bandwidth limit in bits per second, written `500kbps`, `100Mbps`, `1Gbps` (or `100M`, `1G`).
///
/// Units are decimal (1 Mbps = 1 000 000 bit/s), as on network equipment.
public struct BandwidthCap: Sendable, Hashable, TextualValue {
    /// The limit in bits per second; at least 1000.
    public let bitsPerSecond: UInt64

    public init(bitsPerSecond: UInt64) {
        self.bitsPerSecond = bitsPerSecond
    }

    public init(parsing text: String) throws(TapsterError) {
        var body = Substring(text.lowercased())
        if body.hasSuffix("bps") { body = body.dropLast(3) }
        var multiplier: UInt64 = 1
        if let last = body.last, let m = BandwidthCap.multiplier(last) {
            multiplier = m
            body = body.dropLast()
        }
        guard let value = UInt64(body), value > 0 else {
            throw TapsterError.invalid("bandwidth_cap", "\"\(text)\" is not a bandwidth such as 500kbps, 100Mbps or 1Gbps")
        }
        let (bits, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow, bits >= 1_000, bits <= 400_000_000_000 else {
            throw TapsterError.invalid("bandwidth_cap", "\"\(text)\" is outside 1kbps–400Gbps")
        }
        self.bitsPerSecond = bits
    }

    private static func multiplier(_ c: Character) -> UInt64? {
        switch c {
        case "k": 1_000
        case "m": 1_000_000
        case "g": 1_000_000_000
        default: nil
        }
    }

    public var description: String {
        for (unit, suffix) in [(UInt64(1_000_000_000), "Gbps"), (1_000_000, "Mbps"), (1_000, "kbps")]
        where bitsPerSecond % unit == 0 {
            return "\(bitsPerSecond / unit)\(suffix)"
        }
        return "\(bitsPerSecond)bps"
    }

    public static func parse(_ text: String) throws(TapsterError) -> Self { try Self(parsing: text) }
}
