// Internal: reading numbers of a pcapng section, in its byte order, from borrowed bytes.

struct PcapngByteView {
    let bytes: UnsafeRawBufferPointer
    let bigEndian: Bool

    @inline(__always)
    func u16(_ offset: Int) -> UInt16 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        return bigEndian ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw)
    }

    @inline(__always)
    func u32(_ offset: Int) -> UInt32 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
    }

    @inline(__always)
    func u64(_ offset: Int) -> UInt64 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        return bigEndian ? UInt64(bigEndian: raw) : UInt64(littleEndian: raw)
    }

    /// A pcapng timestamp: high 32 bits then low 32 bits.
    @inline(__always)
    func timestamp(_ offset: Int) -> UInt64 {
        UInt64(u32(offset)) << 32 | UInt64(u32(offset + 4))
    }

    func string(_ range: Range<Int>) -> String {
        var end = range.upperBound
        while end > range.lowerBound, bytes[end - 1] == 0 { end -= 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range.lowerBound..<end]), as: UTF8.self)
    }

    func array(_ range: Range<Int>) -> [UInt8] {
        Array(UnsafeRawBufferPointer(rebasing: bytes[range]))
    }

    /// Calls `body` with each option's code and value range in `range`, stopping at opt_endofopt.
    @inline(__always)
    func forEachOption(in range: Range<Int>, blockOffset: Int, blockType: UInt32,
                       _ body: (UInt16, Range<Int>) throws(PcapngError) -> Void) throws(PcapngError) {
        var cursor = range.lowerBound
        while cursor + 4 <= range.upperBound {
            let code = u16(cursor)
            let length = Int(u16(cursor + 2))
            if code == PcapngOption.Code.endOfOptions { return }
            let valueStart = cursor + 4
            guard valueStart + length <= range.upperBound else {
                throw PcapngError(.malformedOption(code: code, length: length), offset: blockOffset, blockType: blockType)
            }
            try body(code, valueStart..<valueStart + length)
            cursor = valueStart + paddedTo32Bits(length)
        }
    }
}
