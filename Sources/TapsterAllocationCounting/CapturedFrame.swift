import TapsterAgent

/// The packets the hot paths carry: one TCP segment in Ethernet, web → db:5432, 128 bytes on the wire,
/// stamped 1 µs apart — small packets, where a per-packet cost weighs most.
public enum CapturedFrame {
    /// The frame's bytes (Ethernet + IPv4 + TCP + 74 bytes of payload).
    public static let bytes: [UInt8] = {
        var frame: [UInt8] = [0x02, 0x42, 0x0a, 0, 0, 3, 0x02, 0x42, 0x0a, 0, 0, 10, 0x08, 0x00]
        frame += [0x45, 0, 0, 114, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 10, 10, 0, 0, 3]
        frame += [0xa8, 0xca, 0x15, 0x38, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0x01, 0xf5, 0, 0, 0, 0]
        frame += [UInt8](repeating: 0x61, count: 128 - frame.count)
        return frame
    }()

    /// The first timestamp (ns since the epoch): November 2023.
    public static let firstTimestamp: UInt64 = 1_700_000_000_000_000_000

    /// Packets between flushes, as the agent's capture loop hands them over (one `pcap_dispatch` round).
    public static let packetsPerRound = 128

    /// Hands `packets` frames to `sink` as the capture loop does — `accept` per packet, stamped 1 µs after
    /// `clock`, and `flush` after each round of ``packetsPerRound`` — calling `afterRound` after each flush;
    /// returns how many packets the sink did not report as failed.
    public static func capture(_ packets: Int, into sink: some PacketSink, clock: inout UInt64, afterRound: () -> Void) -> Int {
        var delivered = 0
        bytes.withUnsafeBytes { frame in
            var left = packets
            while left > 0 {
                let round = min(left, packetsPerRound)
                for _ in 0..<round {
                    clock &+= 1_000
                    sink.accept(frame, originalLength: frame.count, timestampNanoseconds: clock)
                }
                delivered += round - sink.flush()
                left -= round
                afterRound()
            }
        }
        return delivered
    }
}
