/// One HTTP/1.x request as the flow table keeps it until its record leaves: method, path (without its query)
/// and Host in fixed byte buffers of an ``HTTPExchangeStore``, and the times. Plain data, copied freely.
struct HTTPExchangeSlot {
    /// The method's bytes, the first in the lowest byte.
    var method: UInt64 = 0
    var methodLength: UInt8 = 0
    var pathLength: UInt16 = 0
    var hostLength: UInt8 = 0
    /// The status code; 0 until the response's status line is read.
    var status: UInt16 = 0
    /// Capture timestamps (ns) of the packets where the request line and the status line began.
    var requestAt: UInt64 = 0
    var responseAt: UInt64 = 0

    /// Appends a byte to the method; false when it is longer than HTTP methods are.
    mutating func appendMethod(_ byte: UInt8) -> Bool {
        guard Int(methodLength) < FlowLimits.methodBytes else { return false }
        method |= UInt64(byte) << (8 * UInt64(methodLength))
        methodLength += 1
        return true
    }

    /// The method as text.
    var methodText: String {
        String(decoding: (0..<Int(methodLength)).map { UInt8(truncatingIfNeeded: method >> (8 * UInt64($0))) }, as: UTF8.self)
    }

    /// Whether the method is HEAD, whose response has no body whatever its headers say.
    var isHead: Bool { methodLength == 4 && method == 0x4441_4548 }
}

/// A fixed number of ``HTTPExchangeSlot``s with their path and Host bytes, reserved once: the HTTP state of a
/// flow table's connections, and the exchanges waiting in an export queue. Nothing here allocates after
/// `init`; the owner synchronises (hence `@unchecked Sendable`: a table's store is read under the export's lock).
final class HTTPExchangeStore: @unchecked Sendable {
    let capacity: Int
    private let slots: UnsafeMutablePointer<HTTPExchangeSlot>
    private let paths: UnsafeMutablePointer<UInt8>
    private let hosts: UnsafeMutablePointer<UInt8>

    init(capacity: Int) {
        self.capacity = capacity
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: HTTPExchangeSlot(), count: capacity)
        // Left uninitialised: bytes are read only up to the lengths written. Large reservations are mapped
        // lazily, so only what the traffic touches becomes resident.
        paths = .allocate(capacity: capacity * FlowLimits.pathBytes)
        hosts = .allocate(capacity: capacity * FlowLimits.hostBytes)
    }

    deinit {
        slots.deallocate()
        paths.deallocate()
        hosts.deallocate()
    }

    subscript(index: Int) -> HTTPExchangeSlot {
        get { slots[index] }
        set { slots[index] = newValue }
    }

    /// Starts slot `index` afresh for a request seen at `time`.
    func begin(_ index: Int, at time: UInt64) {
        slots[index] = HTTPExchangeSlot(requestAt: time)
    }

    /// Appends a byte of the request's path; past ``FlowLimits/pathBytes`` the rest is cut.
    @inline(__always)
    func appendPath(_ index: Int, _ byte: UInt8) {
        Self.append(byte, to: paths + index * FlowLimits.pathBytes, limit: FlowLimits.pathBytes, length: &slots[index].pathLength)
    }

    /// Appends a byte of the Host header's value; past ``FlowLimits/hostBytes`` the rest is cut.
    @inline(__always)
    func appendHost(_ index: Int, _ byte: UInt8) {
        Self.append(byte, to: hosts + index * FlowLimits.hostBytes, limit: FlowLimits.hostBytes, length: &slots[index].hostLength)
    }

    @inline(__always)
    private static func append<Length: FixedWidthInteger>(_ byte: UInt8, to buffer: UnsafeMutablePointer<UInt8>, limit: Int,
                                                          length: inout Length) {
        guard Int(length) < limit else { return }
        buffer[Int(length)] = byte
        length += 1
    }

    /// Drops the Host value's trailing blanks (the value ends at the line's end, blanks included).
    func trimHost(_ index: Int) {
        while slots[index].hostLength > 0, hosts[index * FlowLimits.hostBytes + Int(slots[index].hostLength) - 1] <= 0x20 {
            slots[index].hostLength -= 1
        }
    }

    /// Copies slot `index` of `other`, with its bytes, into slot `target`.
    func copy(_ target: Int, from other: HTTPExchangeStore, _ index: Int) {
        let slot = other.slots[index]
        slots[target] = slot
        (paths + target * FlowLimits.pathBytes).update(from: other.paths + index * FlowLimits.pathBytes, count: Int(slot.pathLength))
        (hosts + target * FlowLimits.hostBytes).update(from: other.hosts + index * FlowLimits.hostBytes, count: Int(slot.hostLength))
    }

    /// The path of slot `index` as text (bytes that are not UTF-8 become U+FFFD).
    func path(_ index: Int) -> Substring {
        Substring(String(decoding: UnsafeBufferPointer(start: paths + index * FlowLimits.pathBytes, count: Int(slots[index].pathLength)),
                         as: UTF8.self))
    }

    /// The Host value of slot `index` as text.
    func host(_ index: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: hosts + index * FlowLimits.hostBytes, count: Int(slots[index].hostLength)), as: UTF8.self)
    }
}
