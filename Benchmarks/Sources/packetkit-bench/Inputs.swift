import PacketKit

/// The merge inputs: N pcapng files of small TCP packets on one interface each, timestamps interleaved
/// across files (each file in order, gaps of 1–8 µs), as N agents capturing one conversation would produce.
enum Inputs {
    static let start: UInt64 = 1_700_000_000_000_000_000

    static func generate(directory: String, inputs: Int, packets: Int) throws -> [String] {
        var paths: [String] = []
        var generator = SplitMix(seed: 42)
        for input in 0..<inputs {
            var writer = PcapngWriter(reservingCapacity: 4 << 20)
            writer.writeSectionHeader(PcapngSectionHeader(userApplication: "packetkit-bench"))
            let interface = try writer.writeInterfaceDescription(PcapngInterfaceDescription(
                name: "node-\(input)/web-\(input)/eth0", description: "bench input \(input)", filter: "tcp port 5432"))
            var frame = tcpFrame(input: input)
            var timestamp = start + UInt64(input) * 250
            let path = "\(directory)/input-\(input).pcapng"
            let file = try Files.Writer(path)
            for index in 0..<packets {
                timestamp += 1_000 + generator.next() % 7_000
                frame[38] = UInt8(truncatingIfNeeded: index >> 8)  // vary the TCP sequence number
                frame[39] = UInt8(truncatingIfNeeded: index)
                try frame.withUnsafeBytes { try writer.writeEnhancedPacket(interfaceID: interface, timestamp: timestamp, data: $0) }
                if writer.byteCount >= 1 << 20 { try writer.drain { try file.write($0) } }
            }
            try writer.writeInterfaceStatistics(PcapngInterfaceStatistics(
                interfaceID: interface, timestamp: timestamp, startTime: start, endTime: timestamp,
                received: UInt64(packets), interfaceDrops: 0, osDrops: 0))
            try writer.drain { try file.write($0) }
            paths.append(path)
        }
        return paths
    }

    /// Ethernet + IPv4 + TCP (66 bytes with options padding), web → db:5432.
    static func tcpFrame(input: Int) -> [UInt8] {
        var frame: [UInt8] = [0x02, 0x42, 0x0a, 0, 0, 3, 0x02, 0x42, 0x0a, 0, 0, UInt8(10 + input), 0x08, 0x00]
        frame += [0x45, 0, 0, 52, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, UInt8(10 + input), 10, 0, 0, 3]
        frame += [0xa8, 0xca, 0x15, 0x38, 0, 0, 0, 1, 0, 0, 0, 0, 0x80, 0x10, 0x01, 0xf5, 0, 0, 0, 0,
                  1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2]
        return frame
    }
}

/// A small deterministic generator (SplitMix64), so every run merges the same inputs.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
