/// What a capture has counted so far. Every drop is counted by its cause, so
/// `packets == forwarded + capDrops + sendDrops` always holds, and kernel drops come on top
/// (packets the kernel lost before the capture saw them).
public struct CaptureCounters: Hashable, Sendable {
    /// Packets captured (before any drop by the agent).
    public var packets: UInt64
    /// Their bytes on the wire (original lengths, whatever the snap length kept).
    public var bytes: UInt64
    /// Packets the kernel dropped: libpcap's `ps_drop` + `ps_ifdrop`.
    public var kernelDrops: UInt64
    /// Packets refused by the bandwidth cap.
    public var capDrops: UInt64
    /// Packets the sink could not send.
    public var sendDrops: UInt64

    /// Makes a set of counters.
    public init(packets: UInt64 = 0, bytes: UInt64 = 0, kernelDrops: UInt64 = 0, capDrops: UInt64 = 0, sendDrops: UInt64 = 0) {
        self.packets = packets
        self.bytes = bytes
        self.kernelDrops = kernelDrops
        self.capDrops = capDrops
        self.sendDrops = sendDrops
    }

    /// Packets the sink sent on: captured, not refused by the cap, not failed to send.
    public var forwarded: UInt64 {
        let dropped = capDrops &+ sendDrops
        return packets > dropped ? packets - dropped : 0
    }
}
