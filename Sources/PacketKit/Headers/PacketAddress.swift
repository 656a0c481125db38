/// An IPv4 or IPv6 address as two integers, so a packet's addresses are kept, compared and hashed without
/// allocating. An IPv4 address is held in its IPv4-mapped IPv6 form (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2),
/// which no IPv6 packet carries on the wire, so the two families never collide.
public struct PacketAddress: Hashable, Sendable, CustomStringConvertible {
    /// The first 64 bits, in network order read as a big-endian integer.
    public var high: UInt64
    /// The last 64 bits.
    public var low: UInt64

    /// The address from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// An IPv4 address (`10.0.0.1` is `0x0A00_0001`).
    public init(ipv4 value: UInt32) {
        self.init(high: 0, low: 0xFFFF_0000_0000 | UInt64(value))
    }

    /// The unspecified address (`::`), what a packet without IP carries.
    public static let zero = PacketAddress(high: 0, low: 0)

    /// Whether it is an IPv4 address.
    public var isIPv4: Bool { high == 0 && low >> 32 == 0xFFFF }

    /// The usual text form: dotted quad for IPv4, RFC 5952 for IPv6 (lower case, the longest run of two or
    /// more zero groups as `::`).
    public var description: String {
        if isIPv4 {
            let value = UInt32(truncatingIfNeeded: low)
            return "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)"
        }
        let groups = (0..<8).map { index -> UInt16 in
            let half = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> (48 - 16 * UInt64(index % 4)))
        }
        // The longest run of zero groups (the first of equal ones), if at least two long.
        var best = (start: -1, length: 0)
        var run = (start: -1, length: 0)
        for (index, group) in groups.enumerated() {
            if group == 0 {
                run = run.start < 0 ? (index, 1) : (run.start, run.length + 1)
                if run.length > best.length { best = run }
            } else {
                run = (-1, 0)
            }
        }
        guard best.length >= 2 else { return groups.map { String($0, radix: 16) }.joined(separator: ":") }
        let head = groups[..<best.start].map { String($0, radix: 16) }.joined(separator: ":")
        let tail = groups[(best.start + best.length)...].map { String($0, radix: 16) }.joined(separator: ":")
        return head + "::" + tail
    }
}
