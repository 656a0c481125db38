/// The unit of an interface's timestamps (`if_tsresol`): 10⁻ⁿ or 2⁻ⁿ seconds.
///
/// pcapng stores packet times in these units; PacketKit's API always speaks nanoseconds since the epoch
/// and converts with ``units(fromNanoseconds:)`` and ``nanoseconds(fromUnits:)``, without allocating.
public struct PcapngTimestampResolution: Hashable, Sendable, CustomStringConvertible {
    /// The option's byte: the high bit selects base 2, the low seven bits are the exponent.
    public let rawValue: UInt8

    /// Wraps an `if_tsresol` byte.
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// 10⁻⁹ s (`if_tsresol` = 9), what Tapster writes.
    public static let nanoseconds = PcapngTimestampResolution(rawValue: 9)
    /// 10⁻⁶ s, pcapng's default when an interface has no `if_tsresol`.
    public static let microseconds = PcapngTimestampResolution(rawValue: 6)

    /// Whether units are 2⁻ⁿ rather than 10⁻ⁿ seconds.
    public var isBinary: Bool { rawValue & 0x80 != 0 }
    /// The exponent n.
    public var exponent: Int { Int(rawValue & 0x7f) }

    /// Converts a time in nanoseconds to this resolution's units (rounding down).
    @inline(__always)
    public func units(fromNanoseconds nanoseconds: UInt64) -> UInt64 {
        if rawValue == 9 { return nanoseconds }
        if isBinary {
            // nanoseconds × 2ⁿ / 10⁹, through a 128-bit intermediate.
            guard exponent < 64 else { return .max }
            let shifted = nanoseconds.multipliedFullWidth(by: 1 << UInt64(exponent))
            guard shifted.high < 1_000_000_000 else { return .max }
            return UInt64(1_000_000_000).dividingFullWidth((shifted.high, shifted.low)).quotient
        }
        if exponent <= 9 { return nanoseconds / Self.powersOfTen[9 - exponent] }
        let factor = exponent - 9 < Self.powersOfTen.count ? Self.powersOfTen[exponent - 9] : .max
        let (product, overflow) = nanoseconds.multipliedReportingOverflow(by: factor)
        return overflow ? .max : product
    }

    /// Converts a time in this resolution's units to nanoseconds (rounding down, saturating).
    @inline(__always)
    public func nanoseconds(fromUnits units: UInt64) -> UInt64 {
        if rawValue == 9 { return units }
        if isBinary {
            let product = units.multipliedFullWidth(by: 1_000_000_000)
            let shift = exponent
            if shift == 0 { return product.high == 0 ? product.low : .max }
            if shift >= 64 { return shift >= 128 ? 0 : product.high >> UInt64(shift - 64) }
            guard product.high >> UInt64(shift) == 0 else { return .max }
            return product.low >> UInt64(shift) | product.high << UInt64(64 - shift)
        }
        if exponent <= 9 {
            let (product, overflow) = units.multipliedReportingOverflow(by: Self.powersOfTen[9 - exponent])
            return overflow ? .max : product
        }
        return exponent - 9 < Self.powersOfTen.count ? units / Self.powersOfTen[exponent - 9] : 0
    }

    /// `10^-9 s` or `2^-20 s`.
    public var description: String { isBinary ? "2^-\(exponent) s" : "10^-\(exponent) s" }

    static let powersOfTen: [UInt64] = (0...19).map { exponent in (0..<exponent).reduce(1) { value, _ in value * 10 } }
}
