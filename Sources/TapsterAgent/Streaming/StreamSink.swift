import PacketKit

/// Sends a capture's packets to the server's capture broker: each packet becomes a pcapng Enhanced Packet Block
/// (nanosecond timestamps, interface id = this source's index in the capture) in a reusable buffer, and each
/// flush copies the batch into the tap's ``CaptureUpload`` queue. A batch the queue has no room for is dropped,
/// and `flush` reports its packets, which the session counts as drops. Neither allocates once the buffers have
/// grown (Benchmarks/allocations, Tests/AllocationCountTests).
package final class StreamSink: PacketSink, @unchecked Sendable {
    private let upload: CaptureUpload
    private let interfaceIndex: UInt32
    private var writer: PcapngWriter
    private var pending = 0
    /// Packets refused by the writer since the last flush (only longer than pcapng allows).
    private var refused = 0

    package init(upload: CaptureUpload, interfaceIndex: UInt32, snaplen: UInt32) throws {
        self.upload = upload
        self.interfaceIndex = interfaceIndex
        // The writer numbers interfaces in order of description: open a section and describe 0…index once (ns
        // timestamps), so that this source's packets carry its index, and discard those blocks (the broker
        // writes the capture's own SHB and IDBs).
        var writer = PcapngWriter(reservingCapacity: 256 << 10)
        writer.writeSectionHeader()
        for _ in 0...interfaceIndex {
            _ = try writer.writeInterfaceDescription(PcapngInterfaceDescription(snapLength: snaplen))
        }
        writer.removeAll()
        self.writer = writer
    }

    package func accept(_ bytes: UnsafeRawBufferPointer, originalLength: Int, timestampNanoseconds: UInt64) {
        do {
            try writer.writeEnhancedPacket(interfaceID: interfaceIndex, timestamp: timestampNanoseconds,
                                           originalLength: originalLength, data: bytes)
            pending += 1
        } catch {
            refused += 1
        }
    }

    package func flush() -> Int {
        let refusedNow = refused
        refused = 0
        guard pending > 0 else { return refusedNow }
        let packets = pending
        pending = 0
        // Copied into the upload's queue, not into a new buffer: a flush allocates nothing either.
        let queued = writer.bytes.withUnsafeBytes { upload.offer($0) }
        writer.removeAll()
        return refusedNow + (queued ? 0 : packets)
    }

    package func close() {}
}
