import Foundation

/// An address block: an ``IPAddress`` and a prefix length, e.g. `10.0.0.0/8` or `2001:db8::/32`.
///
/// A bare address is accepted as a host route (`/32` or `/128`). Host bits must be zero.
public struct CIDR: Sendable, Hashable, TextualValue {
    public let address: IPAddress
    public let prefixLength: Int

    public init(parsing text: String) throws(TapsterError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = try? IPAddress(parsing: String(parts[0])) else {
            throw TapsterError(.invalidArgument, "\"\(text)\" is not a CIDR such as 10.0.0.0/8 or 2001:db8::/32")
        }
        let maximum = address.bytes.count * 8
        let length: Int
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...maximum).contains(n), parts[1].allSatisfy(\.isNumber) else {
                throw TapsterError(.invalidArgument, "\"\(text)\": prefix length must be 0–\(maximum)")
            }
            length = n
        } else {
            length = maximum
        }
        for (i, byte) in address.bytes.enumerated() {
            let keep = max(0, min(8, length - i * 8))
            let mask: UInt8 = keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - keep))
            guard byte & ~mask == 0 else {
                throw TapsterError(.invalidArgument, "\"\(text)\" has host bits set beyond /\(length)")
            }
        }
        self.address = address
        self.prefixLength = length
    }

    public var description: String { "\(address)/\(prefixLength)" }

    public static func parse(_ text: String) throws(TapsterError) -> Self { try Self(parsing: text) }
}
