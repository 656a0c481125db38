import CNetns
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import PacketKit

/// Mirrors captured frames to a monitoring tool through a tunnel — ERSPAN II, ERSPAN III, VXLAN or
/// GRE-TEB — sending them from the namespace the sink was made in.
///
/// Make it on the agent's own thread (the host's namespace): its socket is opened by the initialiser, and
/// a socket keeps the namespace it was opened in, so encapsulated packets leave from the host even though
/// the capture thread runs inside the workload's namespace. GRE-based tunnels use a raw IPv4 socket for
/// protocol 47 and VXLAN a UDP socket; in both the kernel adds the outer IPv4 (and UDP) header, routes,
/// and fragments datagrams larger than the path MTU.
///
/// Per packet, ``accept(_:originalLength:timestampNanoseconds:)`` writes the tunnel header and copies the
/// frame into the next slot of a preallocated batch — no allocation, no system call; ``flush()`` sends the
/// batch with `sendmmsg(2)`. ERSPAN sequence numbers advance per packet; ERSPAN III carries the capture
/// timestamp, and its direction bit when ``localMAC`` is known (a frame whose source is the tapped
/// interface's MAC left the workload: egress; any other entered it: ingress).
public final class TunnelSink: PacketSink {
    /// The tunnel.
    public let encapsulation: TunnelEncapsulation
    /// The tool's address.
    public let destination: IPv4Address
    /// The tapped interface's MAC, from which ERSPAN III's direction bit is derived; nil sends every frame
    /// as ingress.
    public let localMAC: MACAddress?

    private var encoder: TunnelEncoder
    private let headerLength: Int
    /// The longest frame one datagram carries: 65 535 bytes of IPv4 minus the outer headers and ours.
    private let maximumFrameLength: Int
    private var batch: DatagramBatch
    private var socket: Int32
    private var address: sockaddr_in
    /// The local MAC as it sits in a frame's source field (bytes 6–11), loaded as 32 + 16 bits.
    private let localMACHigh: UInt32
    private let localMACLow: UInt16
    /// Datagrams that failed before ``flush()`` was called (sent early because the batch was full).
    private var pendingFailures = 0
    /// The `errno` of the last failed send, 0 if none: for diagnostics. Read it on the capture thread (or
    /// after the session has ended): it is the sink's own state.
    public private(set) var lastSendError: Int32 = 0

    /// Datagrams per batch by default: a `pcap_dispatch` round of the capture loop fits in two.
    public static let defaultBatchCapacity = 64
    /// 4 MiB for the datagrams of one batch: 64 full-size frames, or a few 64 KiB GSO super-packets.
    public static let defaultArenaSize = 4 << 20
    /// The socket's send buffer: room for several batches.
    public static let sendBufferSize = 4 << 20

    /// Opens the tunnel's socket in the calling thread's namespace and preallocates a batch.
    /// - Parameters:
    ///   - encapsulation: the tunnel and its session id, VNI or key.
    ///   - destination: the tool's IPv4 address.
    ///   - localMAC: the tapped interface's MAC, for ERSPAN III's direction bit.
    ///   - source: a local IPv4 address to send from (the socket is bound to it); nil lets routing choose.
    ///     `port` deliveries to another host's agent send from this agent's tunnel address, the only one
    ///     the receiving agent accepts from this host.
    ///   - batchCapacity: datagrams per `sendmmsg`; a fuller batch is sent early by ``accept``.
    ///   - arenaSize: bytes for one batch's datagrams (at least one largest datagram is kept).
    /// - Throws: ``TunnelError`` for an out-of-range session id or VNI, or when the socket is refused.
    public init(encapsulation: TunnelEncapsulation, destination: IPv4Address, localMAC: MACAddress? = nil, source: IPv4Address? = nil,
                batchCapacity: Int = TunnelSink.defaultBatchCapacity, arenaSize: Int = TunnelSink.defaultArenaSize) throws(TunnelError) {
        do {
            encoder = try TunnelEncoder(encapsulation)
        } catch {
            throw .invalidConfiguration(error)
        }
        self.encapsulation = encapsulation
        self.destination = destination
        self.localMAC = localMAC
        headerLength = encoder.headerLength

        address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = destination.rawValue.bigEndian
        let kind: String
        let ipProtocol: Int32
        let outerHeaders: Int
        switch encoder.transport {
        case .ip(let protocolNumber):
            ipProtocol = Int32(protocolNumber)
            kind = "a raw IP socket for protocol \(protocolNumber)"
            outerHeaders = 20
        case .udp(let port):
            ipProtocol = 0
            address.sin_port = port.bigEndian
            kind = "a UDP socket"
            outerHeaders = 28
        }
        maximumFrameLength = 65_535 - outerHeaders - headerLength
        batch = DatagramBatch(capacity: batchCapacity, arenaSize: max(arenaSize, 65_536))

        if let localMAC {
            let octets = localMAC.octets
            localMACHigh = octets.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt32.self) }
            localMACLow = octets.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt16.self) }
        } else {
            localMACHigh = 0
            localMACLow = 0
        }

        socket = cnetns_mirror_socket(ipProtocol, Int32(Self.sendBufferSize))
        guard socket >= 0 else { throw .socket(kind: kind, code: errno) }
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = source.rawValue.bigEndian
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                let code = errno
                Glibc.close(socket)
                throw .socket(kind: "\(kind) bound to \(source)", code: code)
            }
        }
    }

    deinit {
        if socket >= 0 { Glibc.close(socket) }
    }

    /// Encapsulates one frame into the batch (sending the batch first if it is full). A frame longer than
    /// one IPv4 datagram can carry is cut to fit, which ERSPAN marks as truncated.
    public func accept(_ bytes: UnsafeRawBufferPointer, originalLength: Int, timestampNanoseconds: UInt64) {
        let frame = bytes.count > maximumFrameLength ? UnsafeRawBufferPointer(rebasing: bytes[0..<maximumFrameLength]) : bytes
        let length = headerLength + frame.count
        if !batch.fits(length) { sendBatch() }
        let slot = batch.reserve(length)
        let info = MirroredFrameInfo(timestamp: timestampNanoseconds, direction: direction(of: frame),
                                     originalLength: max(originalLength, bytes.count))
        encoder.writeHeader(for: frame, info: info, into: UnsafeMutableRawBufferPointer(rebasing: slot[0..<headerLength]))
        if let source = frame.baseAddress, !frame.isEmpty {
            (slot.baseAddress! + headerLength).copyMemory(from: source, byteCount: frame.count)
        }
        batch.commit(length)
    }

    /// Sends the batch with `sendmmsg` and returns how many datagrams (since the last flush) failed.
    public func flush() -> Int {
        sendBatch()
        defer { pendingFailures = 0 }
        return pendingFailures
    }

    /// Closes the socket. Frames accepted after this are dropped (counted as failures).
    public func close() {
        if socket >= 0 {
            Glibc.close(socket)
            socket = -1
        }
    }

    private func sendBatch() {
        guard !batch.isEmpty else { return }
        let count = batch.count
        defer { batch.removeAll() }
        guard socket >= 0 else {
            pendingFailures += count
            return
        }
        var error: Int32 = 0
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { destination in
                cnetns_send_batch(socket, destination, socklen_t(MemoryLayout<sockaddr_in>.size),
                                  batch.arena.assumingMemoryBound(to: UInt8.self), batch.offsets, batch.lengths,
                                  UInt32(count), &error)
            }
        }
        pendingFailures += count - Int(sent)
        if error != 0 { lastSendError = error }
    }

    /// Egress when the frame's source MAC is the tapped interface's own.
    @inline(__always)
    private func direction(of frame: UnsafeRawBufferPointer) -> PacketDirection {
        guard localMAC != nil, frame.count >= 12 else { return .ingress }
        let high = frame.loadUnaligned(fromByteOffset: 6, as: UInt32.self)
        let low = frame.loadUnaligned(fromByteOffset: 10, as: UInt16.self)
        return high == localMACHigh && low == localMACLow ? .egress : .ingress
    }
}
