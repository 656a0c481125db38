/// How the payload an encapsulator produces travels to the tool.
public enum EncapsulationTransport: Hashable, Sendable {
    /// Directly over IP with this protocol number: the agent sends the payload through a raw IP socket
    /// (`socket(AF_INET, SOCK_RAW, 47)` for GRE) and the kernel adds the IPv4 header.
    case ip(protocolNumber: UInt8)
    /// Over UDP to this destination port: the agent sends the payload through a UDP socket and the
    /// kernel adds the UDP and IPv4 headers.
    case udp(destinationPort: UInt16)
}

/// What an encapsulator may need to know about the mirrored frame besides its bytes.
///
/// A plain value passed per packet; it is never stored, so it costs nothing to make.
public struct MirroredFrameInfo: Hashable, Sendable {
    /// When the frame was captured, in nanoseconds since the Unix epoch (ERSPAN III carries it).
    public var timestamp: UInt64
    /// Whether the frame entered or left the tapped interface (ERSPAN III's D bit).
    public var direction: PacketDirection
    /// The frame's length on the wire, when the bytes handed over were cut short by a snapshot length.
    /// ERSPAN sets its T (truncated) bit when this exceeds the bytes encapsulated.
    public var originalLength: Int?

    /// Describes one mirrored frame.
    public init(timestamp: UInt64 = 0, direction: PacketDirection = .ingress, originalLength: Int? = nil) {
        self.timestamp = timestamp
        self.direction = direction
        self.originalLength = originalLength
    }

    func isTruncated(capturedLength: Int) -> Bool {
        (originalLength ?? capturedLength) > capturedLength
    }
}

/// Wraps mirrored Ethernet frames in a tunnel header for a monitoring tool: ERSPAN II/III, VXLAN, GRE-TEB.
///
/// Encapsulators are small value types holding a session's configuration and its per-session counters
/// (sequence numbers), so each mirroring session owns one and mutates it per packet.
///
/// ## No allocation per packet
/// Two ways to encapsulate, both allocation-free:
/// - `encapsulate(_:info:into: UnsafeMutableRawBufferPointer) -> Int` writes header and frame into memory
///   the caller owns (e.g. one send buffer per session) and returns the length: plain stores and one
///   memcpy, the fastest path (a few ns per packet).
/// - `encapsulate(_:info:into: inout [UInt8])` **appends** to a reusable array: the header is built on the
///   stack and appended with the frame; once the array's capacity suffices (the caller empties it with
///   `removeAll(keepingCapacity: true)`), nothing allocates.
public protocol PacketEncapsulator: Sendable {
    /// How the result is sent: a raw IP socket (GRE, protocol 47) or a UDP socket (VXLAN, port 4789).
    var transport: EncapsulationTransport { get }
    /// How many bytes the tunnel header takes in front of the frame.
    var headerLength: Int { get }
    /// Writes the tunnel header for `frame` into the first ``headerLength`` bytes of `header` and advances
    /// the session's counters. What the header and frame make is the payload of the transport: the GRE
    /// packet for GRE-based encapsulations, the UDP payload for VXLAN.
    mutating func writeHeader(for frame: UnsafeRawBufferPointer, info: MirroredFrameInfo, into header: UnsafeMutableRawBufferPointer)
}

extension PacketEncapsulator {
    /// Appends the tunnel header followed by `frame` (an Ethernet frame) to `buffer`.
    @inlinable
    public mutating func encapsulate(_ frame: UnsafeRawBufferPointer, info: MirroredFrameInfo = MirroredFrameInfo(),
                                     into buffer: inout [UInt8]) {
        withUnsafeTemporaryAllocation(byteCount: headerLength, alignment: 8) { header in
            writeHeader(for: frame, info: info, into: header)
            buffer.appendBytes(UnsafeRawBufferPointer(header))
        }
        buffer.appendBytes(frame)
    }

    /// Writes the tunnel header followed by `frame` at the start of `output` and returns the length written.
    /// - Throws: ``EncapsulationError`` (field `output buffer`) when `output` is too small; nothing is written.
    @inlinable
    public mutating func encapsulate(_ frame: UnsafeRawBufferPointer, info: MirroredFrameInfo = MirroredFrameInfo(),
                                     into output: UnsafeMutableRawBufferPointer) throws(EncapsulationError) -> Int {
        let length = headerLength
        guard output.count >= length + frame.count else {
            throw EncapsulationError(field: "output buffer", value: UInt64(length + frame.count), maximum: UInt64(output.count))
        }
        writeHeader(for: frame, info: info, into: UnsafeMutableRawBufferPointer(rebasing: output[0..<length]))
        if !frame.isEmpty { UnsafeMutableRawBufferPointer(rebasing: output[length..<length + frame.count]).copyMemory(from: frame) }
        return length + frame.count
    }

    /// Encapsulates a frame held in an array (convenience for tests and tools).
    public mutating func encapsulate(_ frame: [UInt8], info: MirroredFrameInfo = MirroredFrameInfo(), into buffer: inout [UInt8]) {
        frame.withUnsafeBytes { encapsulate($0, info: info, into: &buffer) }
    }
}

/// A configuration value outside the range its header field can hold.
public struct EncapsulationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The field, e.g. `ERSPAN session id`.
    public let field: String
    /// The value given.
    public let value: UInt64
    /// The largest value the field holds.
    public let maximum: UInt64

    /// Describes an out-of-range `field`.
    public init(field: String, value: UInt64, maximum: UInt64) {
        self.field = field
        self.value = value
        self.maximum = maximum
    }

    /// `ERSPAN session id 1024 is out of range 0...1023`.
    public var description: String { "\(field) \(value) is out of range 0...\(maximum)" }

    static func check<T: BinaryInteger>(_ field: String, _ value: T, max: UInt64) throws(EncapsulationError) {
        guard UInt64(value) <= max else { throw EncapsulationError(field: field, value: UInt64(value), maximum: max) }
    }
}
