import Foundation
import Testing
import TapsterAllocationCounting

/// No allocation per packet, proven as swift-nio's allocation-counter tests prove it: each hot path runs N
/// and 10×N packets after a warm-up, counting the calling thread's heap allocations through the `malloc` &
/// co. that `CAllocationCounter` defines in this test binary; a path whose count grows with N fails. No
/// timing is asserted. The release-build figures come from `Benchmarks/allocations/run.sh`.
@Suite("No allocation per packet")
struct HotPathAllocationTests {
    /// N: small enough for a debug build, large enough that one allocation per 128-packet round (about
    /// 280 more over 10×N) is far past the allowance (N/1000 = 4).
    static let packets = 4_000

    /// Raw GRE sockets need root (or `CAP_NET_RAW`).
    static let mayOpenRawSockets = geteuid() == 0

    @Test("the counting malloc is the one this test binary uses")
    func allocationsAreCounted() {
        #expect(AllocationCounter.isCounting)
        let array = AllocationCounter.measure { _ = [Int](repeating: 7, count: 1000) }
        #expect(array.allocations >= 1 && array.bytes >= 8000, "an array of 1000 integers: \(array)")
    }

    @Test("capture → tunnel sink (VXLAN): the count does not grow with N")
    func vxlanTunnel() throws {
        try Self.check(TunnelHotPath(.vxlan))
    }

    @Test("capture → tunnel sink (ERSPAN II, ERSPAN III, GRE-TEB): the count does not grow with N",
          .enabled(if: mayOpenRawSockets, "raw GRE sockets need root"), arguments: [TunnelHotPath.Tunnel.erspanII, .erspanIII, .greTEB])
    func greTunnels(_ tunnel: TunnelHotPath.Tunnel) throws {
        try Self.check(TunnelHotPath(tunnel))
    }

    @Test("capture → stream sink → upload queue: the count does not grow with N")
    func streamSink() throws {
        try Self.check(StreamHotPath())
    }

    @Test("capture → flow sink (flow table, HTTP discovery, export queue): the count does not grow with N")
    func flowSink() throws {
        let path = FlowHotPath()
        try Self.check(path)
        #expect(path.recordsTaken > 0, "answered HTTP exchanges left in records: the path read them")
    }

    @Test("capture → recorder ring (1 MiB, evicting the oldest): the count does not grow with N")
    func recorderRing() throws {
        try Self.check(try RecorderHotPath(lookBack: false))
    }

    @Test("capture → recorder ring and a look-back capture through it (BPF in userspace, stream sink): the count does not grow with N")
    func recorderLookBack() throws {
        // The one allocation per packet a debug build once counted here was RecorderSink.accept's `for consumer in
        // consumers`: unspecialised, IndexingIterator.next() reads the array through Collection's `subscript.read`
        // witness, whose coroutine frame (40 bytes) is allocated per call. The sink walks its look-backs by index.
        let path = try RecorderHotPath()
        try Self.check(path)
        #expect(path.bytesTaken > 0, "the look-back capture's packets reached its upload queue")
    }

    @Test("server merge → pcapng writer (PacketKit's live merger): the count does not grow with N")
    func liveMerger() throws {
        try Self.check(MergeHotPath())
    }

    @Test("server merge → pcapng writer (the broker's CaptureMerge): the count does not grow with N")
    func captureMerge() throws {
        try Self.check(CaptureMergeHotPath())
    }

    static func check(_ path: some HotPath) throws {
        try #require(AllocationCounter.isCounting, "allocations are not counted: the check would prove nothing")
        let growth = try AllocationGrowth.measure(path, packets: packets)
        // The figures in the log, passing or not: what a debug build allocates is worth seeing beside the release figures.
        print("allocations: \(growth)")
        #expect(!growth.grows, "\(growth)")
        #expect(growth.deliveredAll, "\(growth)")
    }
}
