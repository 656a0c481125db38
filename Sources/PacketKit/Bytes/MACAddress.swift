/// A 48-bit Ethernet MAC address, for building outer Ethernet headers.
public struct MACAddress: Hashable, Sendable, CustomStringConvertible {
    /// The address in the low 48 bits, first octet most significant (`02:00:00:00:00:01` is `0x0200_0000_0001`).
    public let rawValue: UInt64

    /// Wraps the low 48 bits of `rawValue`.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue & 0xffff_ffff_ffff
    }

    /// An address from its six octets, in transmission order.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8, _ f: UInt8) {
        self.init(rawValue: [a, b, c, d, e, f].reduce(0) { $0 << 8 | UInt64($1) })
    }

    /// Parses `aa:bb:cc:dd:ee:ff` (or with `-`); nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == "-" })
        guard parts.count == 6 else { return nil }
        var value: UInt64 = 0
        for part in parts {
            guard part.count == 2, let octet = UInt8(part, radix: 16) else { return nil }
            value = value << 8 | UInt64(octet)
        }
        self.init(rawValue: value)
    }

    /// The six octets in transmission order.
    public var octets: [UInt8] {
        (0..<6).map { UInt8(truncatingIfNeeded: rawValue >> (40 - 8 * $0)) }
    }

    /// `02:00:00:00:00:01`.
    public var description: String {
        octets.map { octet in
            let digits = String(octet, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: ":")
    }

    /// Appends the six octets; no allocation beyond the buffer's capacity.
    func append(to buffer: inout [UInt8]) {
        buffer.appendBigEndian(UInt16(truncatingIfNeeded: rawValue >> 32))
        buffer.appendBigEndian(UInt32(truncatingIfNeeded: rawValue))
    }
}
