/// Packet bytes held by the live merger between push and release, in one growing byte array reused
/// across packets (no allocation per packet).
///
/// Bytes are appended as packets arrive and released in timestamp order, which is not arrival order, so
/// space is reclaimed by compaction: once at least 1 MiB is stored and at most a quarter of it is still
/// live, the live packets are copied into a second, reused array and the two are swapped. Each byte is
/// copied O(1) times on average; once both arrays have grown to the working-set size, nothing allocates.
struct PacketArena: Sendable {
    private(set) var bytes: [UInt8] = []
    private var spare: [UInt8] = []
    private(set) var liveBytes = 0

    static let compactionThreshold = 1 << 20

    /// Stores `data`; returns its offset. An empty packet (a captured length of 0, which any agent may
    /// send) is at offset 0, which stays valid when the arena is emptied while it is still held.
    @inline(__always)
    mutating func store(_ data: UnsafeRawBufferPointer) -> Int {
        guard !data.isEmpty else { return 0 }
        let offset = bytes.count
        bytes.appendBytes(data)
        liveBytes += data.count
        return offset
    }

    /// Marks `length` bytes as no longer needed; empties the arena when nothing is live.
    @inline(__always)
    mutating func release(_ length: Int) {
        liveBytes -= length
        if liveBytes == 0 { bytes.removeAll(keepingCapacity: true) }
    }

    var needsCompaction: Bool {
        bytes.count >= Self.compactionThreshold && liveBytes * 4 <= bytes.count
    }

    /// Copies the live ranges `relocate` reports into the spare array and swaps the arrays; `relocate`
    /// is called with a function that moves one range and returns its new offset.
    mutating func compact(_ relocate: ((Int, Int) -> Int) -> Void) {
        spare.removeAll(keepingCapacity: true)
        spare.reserveCapacity(liveBytes)
        let source = bytes
        var destination = spare
        spare = []
        source.withUnsafeBytes { from in
            relocate { offset, length in
                let moved = destination.count
                destination.appendBytes(UnsafeRawBufferPointer(rebasing: from[offset..<offset + length]))
                return moved
            }
        }
        spare = bytes
        bytes = destination
    }

    /// Lends `length` bytes at `offset`.
    @inline(__always)
    func withBytes<T>(at offset: Int, length: Int, _ body: (UnsafeRawBufferPointer) throws(PcapngWriteError) -> T) throws(PcapngWriteError) -> T {
        let outcome: Result<T, PcapngWriteError> = bytes.withUnsafeBytes { all in
            do throws(PcapngWriteError) { return .success(try body(UnsafeRawBufferPointer(rebasing: all[offset..<offset + length]))) } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }
}
