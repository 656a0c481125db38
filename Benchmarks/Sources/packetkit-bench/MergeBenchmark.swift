import Foundation
import PacketKit

/// Merge throughput: PacketKit's `PcapngMerger` against `mergecap -w` on the same files, both reading the
/// inputs from disk and writing the merged file to disk.
enum MergeBenchmark {
    static func run(directory: String, paths: [String], runs: Int) throws {
        let totalPackets = try paths.reduce(0) { $0 + (try count(Files.read($1))) }
        let ours = "\(directory)/merged-packetkit.pcapng"
        let theirs = "\(directory)/merged-mergecap.pcapng"
        let size = paths.compactMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int }.reduce(0, +)
        print("merge: \(paths.count) inputs, \(totalPackets) packets, \(size / 1_048_576) MiB; median of \(runs) runs each")

        _ = try mergeWithPacketKit(paths, into: ours)  // warm the page cache and the allocator
        let ourTimes = try (0..<runs).map { _ in try mergeWithPacketKit(paths, into: ours) }
        let mergecapTimes = try (0..<runs).map { _ in try mergeWithMergecap(paths, into: theirs) }
        let ourMedian = median(ourTimes), mergecapMedian = median(mergecapTimes)

        let ourRate = Double(totalPackets) / ourMedian, mergecapRate = Double(totalPackets) / mergecapMedian
        print(String(format: "  PacketKit PcapngMerger  %8.3f s  %12.0f packets/s", ourMedian, ourRate))
        print(String(format: "  mergecap -w             %8.3f s  %12.0f packets/s", mergecapMedian, mergecapRate))
        print(String(format: "  ratio (PacketKit / mergecap): %.2fx  (goal >= 2x)", ourRate / mergecapRate))

        // Same packets, same order (by timestamp and interface name) as mergecap's output?
        let same = try signature(Files.read(ours)) == signature(Files.read(theirs))
        print("  same packets in the same order as mergecap: \(same ? "yes" : "NO")")
    }

    static func mergeWithPacketKit(_ paths: [String], into output: String) throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let inputs = try paths.map(Files.read)
        var merger = PcapngMerger(inputs: inputs)
        var writer = PcapngWriter(reservingCapacity: 2 << 20)
        let file = try Files.Writer(output)
        while try merger.merge(into: &writer, untilBufferHolds: 1 << 20) {
            try writer.drain { try file.write($0) }
        }
        try writer.drain { try file.write($0) }
        return seconds(clock.now - start)
    }

    static func mergeWithMergecap(_ paths: [String], into output: String) throws -> Double {
        let clock = ContinuousClock()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mergecap")
        process.arguments = ["-w", output] + paths
        let start = clock.now
        try process.run()
        process.waitUntilExit()
        let elapsed = seconds(clock.now - start)
        guard process.terminationStatus == 0 else { throw Files.Failure(description: "mergecap exited \(process.terminationStatus)") }
        return elapsed
    }

    static func count(_ bytes: [UInt8]) throws -> Int {
        var reader = PcapngReader(bytes: bytes)
        var packets = 0
        while let block = try reader.next() { if case .enhancedPacket = block { packets += 1 } }
        return packets
    }

    /// A hash of the packet sequence: timestamps, interface names and bytes, in order.
    static func signature(_ bytes: [UInt8]) throws -> Int {
        var reader = PcapngReader(bytes: bytes)
        var hasher = Hasher()
        while let block = try reader.next() {
            guard case .enhancedPacket(let packet) = block else { continue }
            hasher.combine(packet.timestamp)
            hasher.combine(reader.interfaces[Int(packet.interfaceID)].name)
            hasher.combine(packet.data)
        }
        return hasher.finalize()
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}
