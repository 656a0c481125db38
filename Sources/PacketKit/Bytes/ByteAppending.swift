// Internal helpers for appending fixed-width integers to byte buffers and patching them in place.
//
// Every helper copies into the array's existing capacity with one memcpy, so appending to a buffer whose
// capacity was reserved earlier never allocates. Bytes are always appended as an
// `UnsafeBufferPointer<UInt8>`: `Array.append(contentsOf:)` copies that with memcpy, whereas an
// `UnsafeRawBufferPointer` would be copied element by element through its iterator (several times slower).

extension Array where Element == UInt8 {
    /// Appends raw bytes with one memcpy.
    @inlinable @inline(__always)
    mutating func appendBytes(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        bytes.withMemoryRebound(to: UInt8.self) { append(contentsOf: $0) }
    }

    @inline(__always)
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { appendBytes($0) }
    }

    @inline(__always)
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { appendBytes($0) }
    }

    /// Appends up to 8 zero bytes (padding).
    @inline(__always)
    mutating func appendZeros(_ count: Int) {
        guard count > 0 else { return }
        let zero: UInt64 = 0
        Swift.withUnsafeBytes(of: zero) { appendBytes(UnsafeRawBufferPointer(rebasing: $0[0..<Swift.min(count, 8)])) }
        if count > 8 { append(contentsOf: repeatElement(0, count: count - 8)) }
    }

    @inline(__always)
    mutating func storeBigEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeMutableBytes { $0.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self) }
    }

    @inline(__always)
    mutating func storeLittleEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self) }
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always)
    func loadBigEndian<T: FixedWidthInteger>(at offset: Int, as type: T.Type = T.self) -> T {
        T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    @inline(__always)
    func loadLittleEndian<T: FixedWidthInteger>(at offset: Int, as type: T.Type = T.self) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// Rounds `length` up to the next multiple of 4, as pcapng pads block bodies and option values.
@inline(__always)
func paddedTo32Bits(_ length: Int) -> Int {
    (length + 3) & ~3
}
