/// What a ``PortReceiver`` did for one reception so far.
public struct PortReceptionCounters: Hashable, Sendable {
    /// Frames received with the reception's key before its deadline (injected, or counted in ``failures``).
    public var packets: UInt64
    /// Bytes of those frames (inner Ethernet frames, without the tunnel headers).
    public var bytes: UInt64
    /// Of ``packets``, those that could not be injected (too long for the port, queue full, port down).
    public var failures: UInt64
    /// Frames with the reception's key from an address it does not allow: dropped, not in ``packets``.
    public var refused: UInt64

    /// Counters with the given values (zero by default).
    public init(packets: UInt64 = 0, bytes: UInt64 = 0, failures: UInt64 = 0, refused: UInt64 = 0) {
        self.packets = packets
        self.bytes = bytes
        self.failures = failures
        self.refused = refused
    }
}
