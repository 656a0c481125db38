/// The Internet checksum of RFC 1071: the ones' complement of the ones' complement sum of 16-bit
/// big-endian words, as IPv4 headers carry it.
///
/// A pure function over borrowed bytes; it allocates nothing.
public enum InternetChecksum {
    /// The checksum of `bytes` (an odd trailing byte is padded with a zero byte, per RFC 1071).
    /// Over a header whose checksum field holds the right value, the result is 0.
    public static func compute(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum &+= UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum &+= UInt32(bytes[index]) << 8 }
        while sum > 0xffff { sum = (sum & 0xffff) &+ (sum >> 16) }
        return ~UInt16(truncatingIfNeeded: sum)
    }

    /// The checksum of `bytes`.
    public static func compute(_ bytes: [UInt8]) -> UInt16 {
        bytes.withUnsafeBytes { compute($0) }
    }
}
