/// An IPv4 address, for building outer IPv4 headers (the tunnel's source and the tool's address).
public struct IPv4Address: Hashable, Sendable, CustomStringConvertible {
    /// The address as a host-order integer (`10.0.0.1` is `0x0A00_0001`).
    public let rawValue: UInt32

    /// Wraps a host-order integer.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// An address from its four octets.
    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        self.init(rawValue: UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d))
    }

    /// Parses dotted-quad notation (`192.0.2.7`); nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCII), let octet = UInt8(part) else { return nil }
            value = value << 8 | UInt32(octet)
        }
        self.init(rawValue: value)
    }

    /// `192.0.2.7`.
    public var description: String {
        (0..<4).map { String(UInt8(truncatingIfNeeded: rawValue >> (24 - 8 * $0))) }.joined(separator: ".")
    }
}
