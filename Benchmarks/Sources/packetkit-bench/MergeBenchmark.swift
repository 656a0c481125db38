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

        // The live merger on the same packets, as the broker gets them: the inputs cut into agents' batches
        // beforehand (not timed), then merged into a file on disk along each path.
        let batches = try LiveMergeBenchmark.batches(paths.map { try PcapngReader.readAll(Files.read($0)).compactMap(\.packet) })
        var outputs: [String] = []
        for path in LiveMergeBenchmark.Path.allCases {
            let output = "\(directory)/merged-live-\(path == .passedThrough ? "passed" : "reencoded").pcapng"
            _ = try mergeLive(batches, path: path, into: output)  // warm up
            let time = median(try (0..<runs).map { _ in try mergeLive(batches, path: path, into: output) })
            let rate = Double(totalPackets) / time
            print(String(format: "  live merger, %@  %8.3f s  %12.0f packets/s  %.2fx mergecap", path.rawValue.padding(toLength: 30, withPad: " ", startingAt: 0),
                         time, rate, rate / mergecapRate))
            outputs.append(output)
        }
        let identical = try Files.read(outputs[0]) == Files.read(outputs[1])
        // Packets of equal timestamps from different inputs go in arrival order here, later input first in mergecap.
        let live = try signature(Files.read(outputs[1]), tiesInAnyOrder: true) == signature(Files.read(theirs), tiesInAnyOrder: true)
        print("  live merger: both paths wrote the same bytes: \(identical ? "yes" : "NO"); "
            + "same packets in timestamp order as mergecap: \(live ? "yes" : "NO")")
    }

    static func mergeLive(_ batches: [[[UInt8]]], path: LiveMergeBenchmark.Path, into output: String) throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let file = try Files.Writer(output)
        let (_, passed) = try LiveMergeBenchmark.merge(batches, path: path) { try file.write($0) }
        let elapsed = seconds(clock.now - start)
        if path == .passedThrough, passed == 0 { throw Files.Failure(description: "no block was passed through") }
        return elapsed
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

    /// A hash of the packet sequence: timestamps, interface names and bytes, in order (packets of one timestamp
    /// in any order when `tiesInAnyOrder`).
    static func signature(_ bytes: [UInt8], tiesInAnyOrder: Bool = false) throws -> Int {
        var reader = PcapngReader(bytes: bytes)
        var packets: [(timestamp: UInt64, name: String, data: Int)] = []
        while let block = try reader.next() {
            guard case .enhancedPacket(let packet) = block else { continue }
            packets.append((packet.timestamp, reader.interfaces[Int(packet.interfaceID)].name ?? "", packet.data.hashValue))
        }
        if tiesInAnyOrder { packets.sort { ($0.timestamp, $0.name, $0.data) < ($1.timestamp, $1.name, $1.data) } }
        var hasher = Hasher()
        for packet in packets {
            hasher.combine(packet.timestamp)
            hasher.combine(packet.name)
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
