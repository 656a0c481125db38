import CNetns
import Glibc

/// Delivers mirrored frames into a port — a veth interface of a workload, in its network namespace — as
/// Neutron's tap service delivers into its monitoring port: the port receives each frame unchanged, and a
/// `tcpdump -i <interface>` inside the namespace sees it arrive. The frames are sent from the veth's other end
/// (``VethPeer``), so they never enter the bridge or network the port is attached to: nothing there learns
/// the tapped peers' addresses, and nothing is forwarded anywhere else. A port that is not a veth is refused.
///
/// The injection socket (`AF_PACKET`, bound to the veth's other end) is opened by a thread that entered the
/// port's namespace, then the peer's, and keeps that namespace, so the sink works from any thread —
/// typically a capture thread in another namespace. `accept` copies the frame into a preallocated slot (no
/// allocation per packet); `flush` sends the batch with `sendmmsg(2)`; a batch that fills up is sent at once.
///
/// Frames longer than ``maxFrameLength``, and frames the kernel refuses (longer than the interface's MTU,
/// interface down) or cannot queue, are counted as failures and returned by the next `flush`.
public final class PortInjectionSink: PacketSink {
    /// The port's namespace.
    public let namespace: NetworkNamespace
    /// The port's interface in ``namespace``.
    public let interface: String
    /// How many frames a batch holds.
    public let batchCapacity: Int
    /// The longest frame a slot holds.
    public let maxFrameLength: Int

    /// Frames sent so far.
    public private(set) var injectedPackets: UInt64 = 0
    /// Frames that could not be sent so far.
    public private(set) var failedPackets: UInt64 = 0

    private var socket: PacketInjectionSocket?
    private let arena: UnsafeMutableRawPointer
    private let offsets: UnsafeMutablePointer<UInt32>
    private let lengths: UnsafeMutablePointer<UInt32>
    private var count = 0
    private var unreportedFailures = 0

    /// 64 frames per batch.
    public static let defaultBatchCapacity = 64
    /// A jumbo frame (9 000 bytes of MTU) with its Ethernet header and a VLAN tag.
    public static let defaultMaxFrameLength = 9_018

    /// Opens the injection socket on a short-lived thread inside `namespace`, without blocking the caller's
    /// thread, and prepares the batch buffers.
    /// - Throws: ``PortDeliveryError`` when the namespace cannot be entered or has no such interface.
    public static func open(namespace: NetworkNamespace, interface: String, batchCapacity: Int = defaultBatchCapacity,
                            maxFrameLength: Int = defaultMaxFrameLength) async throws(PortDeliveryError) -> PortInjectionSink {
        let socket = try await Self.openSocket(namespace: namespace, interface: interface)
        return PortInjectionSink(socket: socket, namespace: namespace, interface: interface,
                                 batchCapacity: batchCapacity, maxFrameLength: maxFrameLength)
    }

    /// Opens the socket on the other end of `interface`'s veth (see ``VethPeer`` for why).
    static func openSocket(namespace: NetworkNamespace, interface: String) async throws(PortDeliveryError) -> PacketInjectionSocket {
        try await VethPeer.openInjectionSocket(namespace: namespace, interface: interface, subject: "\(interface) in \(namespace)")
    }

    init(socket: PacketInjectionSocket, namespace: NetworkNamespace, interface: String, batchCapacity: Int, maxFrameLength: Int) {
        precondition(batchCapacity > 0 && maxFrameLength > 0, "a port injection sink needs room for at least one frame")
        self.socket = socket
        self.namespace = namespace
        self.interface = interface
        self.batchCapacity = batchCapacity
        self.maxFrameLength = maxFrameLength
        arena = .allocate(byteCount: batchCapacity * maxFrameLength, alignment: 16)
        offsets = .allocate(capacity: batchCapacity)
        lengths = .allocate(capacity: batchCapacity)
        for slot in 0..<batchCapacity {
            offsets[slot] = UInt32(slot * maxFrameLength)
            lengths[slot] = 0
        }
    }

    deinit {
        socket?.close()
        arena.deallocate()
        offsets.deallocate()
        lengths.deallocate()
    }

    /// Copies the frame into the batch; sends the batch first when it is full.
    public func accept(_ bytes: UnsafeRawBufferPointer, originalLength: Int, timestampNanoseconds: UInt64) {
        guard socket != nil, bytes.count <= maxFrameLength, let source = bytes.baseAddress else {
            unreportedFailures += 1
            failedPackets += 1
            return
        }
        if count == batchCapacity { send() }
        (arena + count * maxFrameLength).copyMemory(from: source, byteCount: bytes.count)
        lengths[count] = UInt32(bytes.count)
        count += 1
    }

    /// Sends the batch and returns how many frames failed since the last flush.
    public func flush() -> Int {
        send()
        let failures = unreportedFailures
        unreportedFailures = 0
        return failures
    }

    /// Sends what is left and closes the socket; later frames are counted as failures.
    public func close() {
        send()
        socket?.close()
        socket = nil
    }

    private func send() {
        guard count > 0 else { return }
        defer { count = 0 }
        guard let socket else {
            unreportedFailures += count
            failedPackets += UInt64(count)
            return
        }
        var lastError: Int32 = 0
        let sent = Int(cnetns_send_batch(socket.descriptor, nil, 0, arena.assumingMemoryBound(to: UInt8.self), offsets, lengths,
                                         UInt32(count), &lastError))
        injectedPackets += UInt64(sent)
        failedPackets += UInt64(count - sent)
        unreportedFailures += count - sent
    }
}
