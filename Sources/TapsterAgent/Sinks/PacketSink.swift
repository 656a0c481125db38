/// Where a capture session sends what it captures: a tunnel to a tool, a port on this or another host,
/// or the server's capture broker.
///
/// A sink belongs to one capture thread: every call comes from that thread, in order, so a sink keeps
/// its buffers without locks. `accept` runs once per packet and must not allocate; `flush` ends a batch
/// (one `pcap_dispatch` round) and is where a sink makes its batched system call. ``CaptureSession``
/// calls `flush` after every round that handed the sink at least one packet, so nothing waits in a sink
/// between rounds; also about once a second while no packets come (`CaptureLoop.idleFlushInterval`), so a
/// sink whose work is due by the clock gets to do it, and an empty flush must cost next to nothing; and
/// `close` once when the capture ends (or when a session is dropped unstarted).
///
/// A sink that opens sockets does so when it is made, on the caller's thread: a socket keeps the network
/// namespace it was opened in, while the capture thread moves into the workload's.
public protocol PacketSink: AnyObject {
    /// Takes one captured packet. `bytes` (the captured part, at most the snap length) is valid only during
    /// the call: a sink copies what it keeps. `originalLength` is the packet's length on the wire.
    func accept(_ bytes: UnsafeRawBufferPointer, originalLength: Int, timestampNanoseconds: UInt64)

    /// Sends everything accepted since the last flush and returns how many packets could not be sent
    /// (the caller counts them as send drops).
    func flush() -> Int

    /// Releases the sink's sockets and handles. Called once, on the capture thread, after the last flush.
    func close()
}
