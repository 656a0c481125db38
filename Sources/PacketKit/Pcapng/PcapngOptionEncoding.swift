// Internal: appending pcapng options (little-endian) to a block being written.
//
// An option is code (u16), length (u16), the value, and zero padding to 32 bits; a block's option list
// ends with opt_endofopt (code 0, length 0) when it has any option.

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendOptionHeader(code: UInt16, length: Int) throws(PcapngWriteError) {
        guard length <= 0xffff else { throw PcapngWriteError(.optionTooLong(code: code, length: length)) }
        appendLittleEndian(UInt32(length) << 16 | UInt32(code))
    }

    mutating func appendOption(code: UInt16, bytes value: UnsafeRawBufferPointer) throws(PcapngWriteError) {
        try appendOptionHeader(code: code, length: value.count)
        appendBytes(value)
        appendZeros(paddedTo32Bits(value.count) - value.count)
    }

    mutating func appendOption(code: UInt16, string: String?) throws(PcapngWriteError) {
        guard var string else { return }
        let outcome: Result<Void, PcapngWriteError> = string.withUTF8 { utf8 in
            do throws(PcapngWriteError) {
                try appendOption(code: code, bytes: UnsafeRawBufferPointer(utf8))
                return .success(())
            } catch { return .failure(error) }
        }
        try outcome.get()
    }

    mutating func appendOption(code: UInt16, strings: [String]) throws(PcapngWriteError) {
        for string in strings { try appendOption(code: code, string: string) }
    }

    mutating func appendOption(code: UInt16, value: [UInt8]) throws(PcapngWriteError) {
        let outcome: Result<Void, PcapngWriteError> = value.withUnsafeBytes { bytes in
            do throws(PcapngWriteError) {
                try appendOption(code: code, bytes: bytes)
                return .success(())
            } catch { return .failure(error) }
        }
        try outcome.get()
    }

    @inline(__always)
    mutating func appendOption(code: UInt16, uint32 value: UInt32?) {
        guard let value else { return }
        appendLittleEndian(UInt32(4) << 16 | UInt32(code))
        appendLittleEndian(value)
    }

    @inline(__always)
    mutating func appendOption(code: UInt16, uint64 value: UInt64?) {
        guard let value else { return }
        appendLittleEndian(UInt32(8) << 16 | UInt32(code))
        appendLittleEndian(value)
    }

    /// A pcapng timestamp option: the high 32 bits, then the low 32 bits, each in the section's order.
    @inline(__always)
    mutating func appendOption(code: UInt16, timestampUnits value: UInt64?) {
        guard let value else { return }
        appendLittleEndian(UInt32(8) << 16 | UInt32(code))
        appendLittleEndian(UInt32(truncatingIfNeeded: value >> 32))
        appendLittleEndian(UInt32(truncatingIfNeeded: value))
    }

    /// Ends an option list begun at `start` with opt_endofopt, if any option was appended.
    @inline(__always)
    mutating func endOptions(startedAt start: Int) {
        if count > start { appendLittleEndian(UInt32(0)) }
    }
}
