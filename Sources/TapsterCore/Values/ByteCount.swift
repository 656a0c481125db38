/// An amount of bytes written as people write it: `8MiB`, `512KiB`, `1GiB` (powers of 1024), `10MB`,
/// `500kB` (powers of 1000), or a bare number of bytes.
public struct ByteCount: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The amount in bytes.
    public let bytes: UInt64

    public init(bytes: UInt64) {
        self.bytes = bytes
    }

    /// Parses `8MiB`, `10MB`, `4096`, … (units are case-insensitive: `8mib` is `8MiB`); `field` names the
    /// flag or field in the error.
    public init(parsing text: String, field: String) throws(TapsterError) {
        let lowered = text.lowercased()
        let digits = lowered.prefix { $0.isASCII && $0.isNumber }
        let unit = lowered.dropFirst(digits.count)
        guard let value = UInt64(digits), let multiplier = Self.units[String(unit)] else {
            throw TapsterError.invalid(field, "\"\(text)\" is not a size such as 8MiB, 512KiB, 10MB or 4096")
        }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw TapsterError.invalid(field, "\"\(text)\" is too large") }
        self.bytes = bytes
    }

    private static let units: [String: UInt64] = [
        "": 1, "b": 1,
        "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
        "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000, "tb": 1_000_000_000_000,
        "k": 1 << 10, "m": 1 << 20, "g": 1 << 30,
    ]

    /// `8MiB` when the amount is a whole number of a binary unit, else bytes (`1500B`).
    public var description: String {
        for (unit, suffix) in [(UInt64(1) << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        where bytes >= unit && bytes % unit == 0 {
            return "\(bytes / unit)\(suffix)"
        }
        return "\(bytes)B"
    }

    public static func < (a: ByteCount, b: ByteCount) -> Bool { a.bytes < b.bytes }
}
