/// A flight recorder's memory for one capture source: the newest packets, oldest first, in one block of
/// bytes reserved when the ring is made and never grown — a packet is copied in place, so recording allocates
/// nothing per packet (Tests/AllocationCountTests).
///
/// Each record is a 16-byte header (timestamp ns, captured length, original length) and the captured bytes,
/// padded to 8. A record that does not fit before the end starts again at offset 0 (the tail's few bytes stay
/// unused until the ring turns). Room is made by pushing out the oldest records: by the byte limit
/// (``evicted``) or, through ``expire(before:)``, by age (``expired``). So `captured == held + evicted + expired`.
///
/// Used by one thread (the recorder's capture thread); not thread-safe.
package struct PacketRing: ~Copyable {
    /// Bytes of one record's header.
    package static let headerSize = 16

    private var storage: UnsafeMutableRawPointer
    /// The bytes reserved.
    package private(set) var capacity: Int
    /// The oldest record's offset, and where the next one is written.
    private var head = 0
    private var tail = 0
    /// While the records wrap around: where the records after `head` end (the first ones are in `0..<tail`).
    private var wrapEnd: Int?

    /// Packets held, and their bytes with headers and padding.
    package private(set) var packets = 0
    package private(set) var bytesHeld = 0
    /// Totals since the ring was made.
    package private(set) var captured: UInt64 = 0
    package private(set) var evicted: UInt64 = 0
    package private(set) var expired: UInt64 = 0
    /// Packets longer than the whole ring, never held (counted as evicted too).
    package private(set) var tooLarge: UInt64 = 0

    /// Reserves `capacity` bytes (rounded down to a multiple of 8). The pages are the system's to commit as
    /// the ring first fills: resident memory grows to the capacity, never beyond.
    package init(capacity: Int) {
        self.capacity = Self.rounded(capacity)
        storage = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 8)
    }

    /// The capacity a ring asked for `capacity` bytes reserves.
    package static func rounded(_ capacity: Int) -> Int { max(capacity & ~7, 64) }

    /// Moves the ring into a new block of `capacity` bytes (rounded as ``init(capacity:)``), keeping the newest
    /// packets that fit, oldest first; those that do not are pushed out, counted as evicted. One allocation and one
    /// copy of what is held: for a change of the recorder's byte share, never per packet.
    package mutating func resize(to capacity: Int) {
        let capacity = Self.rounded(capacity)
        guard capacity != self.capacity else { return }
        while packets > 0, bytesHeld > capacity {
            evictOldest(end: wrapEnd ?? tail)
            evicted &+= 1
        }
        let next = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        var written = 0
        if packets > 0 {
            // Records run head..<end, then (wrapped) 0..<tail: copied whole, headers and padding, in that order.
            if let end = wrapEnd {
                next.copyMemory(from: storage + head, byteCount: end - head)
                (next + (end - head)).copyMemory(from: storage, byteCount: tail)
                written = end - head + tail
            } else {
                next.copyMemory(from: storage + head, byteCount: tail - head)
                written = tail - head
            }
        }
        storage.deallocate()
        storage = next
        self.capacity = capacity
        head = 0
        tail = written
        wrapEnd = nil
    }

    deinit { storage.deallocate() }

    /// The oldest packet's timestamp (ns since the epoch), nil when empty.
    package var oldestTimestamp: UInt64? {
        packets == 0 ? nil : storage.load(fromByteOffset: head, as: UInt64.self)
    }

    private static func size(captured: Int) -> Int { headerSize + (captured + 7) & ~7 }

    /// Copies one packet in, pushing out the oldest records as needed to make room.
    package mutating func append(_ bytes: UnsafeRawBufferPointer, originalLength: Int, timestampNanoseconds: UInt64) {
        captured &+= 1
        let need = Self.size(captured: bytes.count)
        guard need <= capacity else {
            tooLarge &+= 1
            evicted &+= 1
            return
        }
        if packets == 0 {
            head = 0
            tail = 0
            wrapEnd = nil
        }
        while true {
            if let end = wrapEnd {
                // Records at head..<end and 0..<tail: the free room is tail..<head.
                if tail + need <= head { break }
                evictOldest(end: end)
                evicted &+= 1
            } else if tail + need <= capacity {
                break
            } else {
                // Start again at 0: the records now run head..<tail, then from 0.
                wrapEnd = tail
                tail = 0
                if packets == 0 {
                    head = 0
                    wrapEnd = nil
                }
            }
        }
        storage.storeBytes(of: timestampNanoseconds, toByteOffset: tail, as: UInt64.self)
        storage.storeBytes(of: UInt32(truncatingIfNeeded: bytes.count), toByteOffset: tail + 8, as: UInt32.self)
        storage.storeBytes(of: UInt32(truncatingIfNeeded: originalLength), toByteOffset: tail + 12, as: UInt32.self)
        if let base = bytes.baseAddress, bytes.count > 0 {
            (storage + tail + Self.headerSize).copyMemory(from: base, byteCount: bytes.count)
        }
        tail += need
        packets += 1
        bytesHeld += need
    }

    /// Pushes out every packet stamped before `time` (ns since the epoch), counted as expired.
    package mutating func expire(before time: UInt64) {
        while packets > 0, storage.load(fromByteOffset: head, as: UInt64.self) < time {
            evictOldest(end: wrapEnd ?? tail)
            expired &+= 1
        }
    }

    /// Removes the record at `head`; `end` is where the head's run of records ends.
    private mutating func evictOldest(end: Int) {
        let length = Int(storage.load(fromByteOffset: head + 8, as: UInt32.self))
        let size = Self.size(captured: length)
        head += size
        packets -= 1
        bytesHeld -= size
        if packets == 0 {
            head = 0
            tail = 0
            wrapEnd = nil
        } else if head >= end, wrapEnd != nil {
            head = 0
            wrapEnd = nil
        }
    }

    /// Calls `body` with every packet held stamped at or after `since`, oldest first.
    package func forEach(since: UInt64, _ body: (UnsafeRawBufferPointer, Int, UInt64) -> Void) {
        guard packets > 0 else { return }
        var offset = head
        var end = wrapEnd ?? tail
        var remaining = packets
        while remaining > 0 {
            if offset >= end {
                offset = 0
                end = tail
            }
            let timestamp = storage.load(fromByteOffset: offset, as: UInt64.self)
            let length = Int(storage.load(fromByteOffset: offset + 8, as: UInt32.self))
            let original = Int(storage.load(fromByteOffset: offset + 12, as: UInt32.self))
            if timestamp >= since {
                body(UnsafeRawBufferPointer(start: storage + offset + Self.headerSize, count: length), original, timestamp)
            }
            offset += Self.size(captured: length)
            remaining -= 1
        }
    }
}
