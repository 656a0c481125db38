/// A hot path's allocations over N and over 10×N packets, and whether they grow with N — the check
/// swift-nio's allocation-counter tests make: a path that allocates per packet (or per batch of packets)
/// allocates about ten times as much over the longer run; one that does not allocates the same.
public struct AllocationGrowth: Sendable, CustomStringConvertible {
    /// The path (``HotPath/name``).
    public let path: String
    /// N.
    public let packets: Int
    /// What N packets allocated (the fewest of the repeats).
    public let short: AllocationCount
    /// What 10×N packets allocated (the fewest of the repeats).
    public let long: AllocationCount
    /// Packets that came out of the path in the shortest and longest runs of the last repeat.
    public let delivered: (short: Int, long: Int)

    /// Allocations the longer run made beyond the shorter one's.
    public var extra: Int { long.allocations - short.allocations }
    /// The most extra allocations still taken for a constant (a buffer grown once): N/1000. One allocation
    /// per 128-packet batch is 70 times more.
    public var allowance: Int { packets / 1000 }
    /// Whether the count grows with N (or the path lost packets, so the count proves nothing).
    public var grows: Bool { extra > allowance }
    /// Whether every packet came out at the far end in both runs.
    public var deliveredAll: Bool { delivered.short == packets && delivered.long == 10 * packets }
    /// Whether the path passes: no growth, nothing lost.
    public var passes: Bool { !grows && deliveredAll }

    /// Allocations per packet over N and over 10×N packets.
    public var perPacket: (short: Double, long: Double) {
        (Double(short.allocations) / Double(packets), Double(long.allocations) / Double(10 * packets))
    }

    /// `capture → stream sink: N=1000 0 allocs (0.0000/packet), 10N 0 allocs (0.0000/packet), extra 0 (allowed 1): ok`.
    public var description: String {
        let verdict = passes ? "ok" : grows ? "GROWS WITH N" : "LOST PACKETS"
        return "\(path): N=\(packets) \(short.allocations) allocs, 10N \(long.allocations) allocs, extra \(extra) (allowed \(allowance)), "
            + "delivered \(delivered.short) and \(delivered.long): \(verdict)"
    }

    /// Runs `path` once with `packets` to warm it up (buffers grow to their working set), then `repeats`
    /// times with `packets` and with 10 × `packets`, counting the calling thread's allocations.
    public static func measure(_ path: some HotPath, packets: Int, repeats: Int = 3) throws(HotPathError) -> AllocationGrowth {
        _ = try path.run(packets: packets)
        var short: AllocationCount?
        var long: AllocationCount?
        var delivered = (short: 0, long: 0)
        for _ in 0..<max(repeats, 1) {
            let shortRun = try AllocationCounter.measure { () throws(HotPathError) in delivered.short = try path.run(packets: packets) }
            let longRun = try AllocationCounter.measure { () throws(HotPathError) in delivered.long = try path.run(packets: 10 * packets) }
            if short.map({ shortRun.allocations < $0.allocations }) ?? true { short = shortRun }
            if long.map({ longRun.allocations < $0.allocations }) ?? true { long = longRun }
        }
        return AllocationGrowth(path: path.name, packets: packets, short: short ?? AllocationCount(), long: long ?? AllocationCount(),
                                delivered: delivered)
    }
}
