import NIOCore
import Testing
@testable import TapsterPKI

/// The agent channel's decrypted reads are passed on as copies of their own size, so the TLS handler's 32 KiB
/// read buffer is never shared with the HTTP/2 decoder (which keeps what it is given while a frame is incomplete).
@Suite("Compact plaintext reads")
struct CompactPlaintextReadsTests {
    static let report = ByteBuffer(bytes: (0..<300).map { UInt8(truncatingIfNeeded: $0) })

    @Test("the copy passed on holds the read's bytes in a buffer of their size")
    func theCopyHoldsTheBytesInABufferOfTheirSize() {
        var read = ByteBufferAllocator().buffer(capacity: 32 << 10)
        read.writeImmutableBuffer(Self.report)
        let passedOn = CompactPlaintextReads.compacted(read, allocator: ByteBufferAllocator())
        #expect(passedOn == Self.report)
        #expect(passedOn.capacity < 1024)
    }

    @Test("the TLS handler's buffer, reused for the next read, is written in place while the copy is kept downstream")
    func theReadBufferIsNotCopiedOnTheNextRead() {
        var read = ByteBufferAllocator().buffer(capacity: 32 << 10)
        read.writeImmutableBuffer(Self.report)
        let storage = Self.address(of: read)

        // Without the copy: the decoder keeps the buffer itself, and the next read copies all of it elsewhere.
        let keptItself = read
        read.clear()
        read.writeImmutableBuffer(Self.report)
        #expect(Self.address(of: read) != storage, "the check cannot tell a shared buffer")
        #expect(keptItself == Self.report)

        // With it: the next read writes where the last one did.
        let reused = Self.address(of: read)
        let keptCopy = CompactPlaintextReads.compacted(read, allocator: ByteBufferAllocator())
        read.clear()
        read.writeImmutableBuffer(Self.report)
        #expect(Self.address(of: read) == reused)
        #expect(keptCopy == Self.report)
    }

    private static func address(of buffer: ByteBuffer) -> UInt {
        buffer.withVeryUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
    }
}
