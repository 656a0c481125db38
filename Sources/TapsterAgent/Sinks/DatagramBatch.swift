/// Preallocated memory for one batch of datagrams: a byte arena the datagrams are written into back to
/// back, and their offsets and lengths, laid out for one `sendmmsg(2)`. Allocated once; `reserve` and
/// `commit` only move indices.
struct DatagramBatch: ~Copyable {
    /// The most datagrams one batch holds.
    let capacity: Int
    /// The arena's size in bytes.
    let arenaSize: Int
    let arena: UnsafeMutableRawPointer
    let offsets: UnsafeMutablePointer<UInt32>
    let lengths: UnsafeMutablePointer<UInt32>
    private(set) var count = 0
    private var used = 0

    /// - Parameters:
    ///   - capacity: datagrams per batch (at least 1).
    ///   - arenaSize: bytes for all of them; at least the largest datagram.
    init(capacity: Int, arenaSize: Int) {
        self.capacity = max(capacity, 1)
        self.arenaSize = max(arenaSize, 1)
        arena = .allocate(byteCount: self.arenaSize, alignment: 16)
        offsets = .allocate(capacity: self.capacity)
        lengths = .allocate(capacity: self.capacity)
    }

    deinit {
        arena.deallocate()
        offsets.deallocate()
        lengths.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    /// Whether a datagram of `length` bytes still fits.
    func fits(_ length: Int) -> Bool {
        count < capacity && used + length <= arenaSize
    }

    /// The next `length` bytes of the arena, to write a datagram into; `commit(length)` keeps it.
    /// Call only when ``fits(_:)``.
    func reserve(_ length: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: arena + used, count: length)
    }

    /// Appends the datagram just written into the reserved bytes.
    mutating func commit(_ length: Int) {
        offsets[count] = UInt32(used)
        lengths[count] = UInt32(length)
        count += 1
        // Keep each datagram 8-byte aligned so the encapsulators' wide stores stay aligned.
        used += (length + 7) & ~7
    }

    /// Forgets every datagram (after sending them).
    mutating func removeAll() {
        count = 0
        used = 0
    }
}
