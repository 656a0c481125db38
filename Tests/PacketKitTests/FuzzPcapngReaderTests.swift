import PacketKit
import TapsterSystemTestSupport
import Testing

/// Valid pcapng streams made by the writer, for the fuzzers to damage: one section, one to three
/// interfaces with options, packets with and without flags and comments, statistics.
enum FuzzPcapngSamples {
    static func stream(_ random: inout FuzzGenerator) throws -> [UInt8] {
        var writer = PcapngWriter(reservingCapacity: 4096)
        writer.writeSectionHeader(PcapngSectionHeader(hardware: random.oneIn(2) ? "x86_64" : nil, operatingSystem: "Linux",
                                                      comments: random.oneIn(3) ? ["fuzz"] : []))
        let interfaceCount = 1 + random.index(3)
        for index in 0..<interfaceCount {
            let resolution: PcapngTimestampResolution = random.oneIn(2) ? .nanoseconds : .microseconds
            _ = try writer.writeInterfaceDescription(PcapngInterfaceDescription(
                snapLength: random.oneIn(4) ? 64 : 262_144, name: "node-\(index)/web/eth\(index)", description: "captured by fuzz",
                filter: random.oneIn(2) ? "udp port 53" : nil, timestampResolution: resolution,
                timestampOffsetSeconds: random.oneIn(5) ? 3600 : nil))
        }
        var timestamp: UInt64 = 1_700_000_000_000_000_000
        for _ in 0..<random.index(12) {
            timestamp &+= UInt64(random.index(1_000_000))
            let interface = UInt32(random.index(interfaceCount))
            let data = random.bytes(random.index(200))
            if random.oneIn(4) {
                try writer.writeEnhancedPacket(PcapngEnhancedPacket(interfaceID: interface, timestamp: timestamp, data: data[...],
                                                                    flags: PcapngPacketFlags(direction: .egress), comments: ["c"]))
            } else {
                try writer.writeEnhancedPacket(PcapngEnhancedPacket(interfaceID: interface, timestamp: timestamp, data: data[...],
                                                                    flags: random.oneIn(3) ? PcapngPacketFlags(direction: .ingress) : nil,
                                                                    dropCount: random.oneIn(5) ? 7 : nil))
            }
        }
        for interface in 0..<interfaceCount where random.oneIn(2) {
            try writer.writeInterfaceStatistics(PcapngInterfaceStatistics(interfaceID: UInt32(interface), timestamp: timestamp,
                                                                          received: 12, interfaceDrops: 1, osDrops: 0))
        }
        return writer.bytes
    }
}

@Suite("pcapng reader under fuzzing")
struct FuzzPcapngReaderTests {
    /// Reads `bytes` whole: the blocks, then the error that stopped it (nil at a clean end).
    static func readWhole(_ bytes: [UInt8]) -> ([PcapngBlock], PcapngError?) {
        var reader = PcapngReader(bytes: bytes)
        var blocks: [PcapngBlock] = []
        do throws(PcapngError) {
            while let block = try reader.next() { blocks.append(block) }
            return (blocks, nil)
        } catch {
            return (blocks, error)
        }
    }

    /// Reads `bytes` fed in random chunks, as the server reads an agent's stream.
    static func readInChunks(_ bytes: [UInt8], _ random: inout FuzzGenerator) -> ([PcapngBlock], PcapngError?) {
        var reader = PcapngReader()
        var blocks: [PcapngBlock] = []
        var fed = 0
        do throws(PcapngError) {
            while fed < bytes.count {
                let chunk = min(bytes.count - fed, 1 + random.index(97))
                reader.append(contentsOf: Array(bytes[fed..<fed + chunk]))
                fed += chunk
                // Copy each packet out: the reader lends its buffer, and appending would otherwise copy it.
                while let block = try reader.next() { blocks.append(Self.owned(block)) }
            }
            reader.finishInput()
            while let block = try reader.next() { blocks.append(Self.owned(block)) }
            return (blocks, nil)
        } catch {
            return (blocks, error)
        }
    }

    static func owned(_ block: PcapngBlock) -> PcapngBlock {
        guard case .enhancedPacket(var packet) = block else { return block }
        packet.data = Array(packet.data)[...]
        return .enhancedPacket(packet)
    }

    @Test("damaged streams are read up to the damage and refused with a PcapngError, whole or in chunks alike")
    func damagedStreams() throws {
        let run = FuzzRun("pcapng reader", cases: 4000)
        try run.forEachCase { random, fuzzCase in
            let damaged = random.mutate(try FuzzPcapngSamples.stream(&random))
            let (whole, wholeError) = Self.readWhole(damaged)
            let (chunked, chunkedError) = Self.readInChunks(damaged, &random)
            #expect(whole.map(Self.owned) == chunked, "\(fuzzCase)")
            #expect(wholeError?.kind == chunkedError?.kind, "\(fuzzCase): \(String(describing: wholeError)) vs \(String(describing: chunkedError))")
        }
    }

    @Test("random bytes after a valid section header are refused with a PcapngError, never a trap")
    func randomBodies() throws {
        let run = FuzzRun("pcapng reader, random blocks", cases: 3000)
        var header = PcapngWriter()
        header.writeSectionHeader()
        _ = try header.writeInterfaceDescription(PcapngInterfaceDescription(name: "h/w/eth0"))
        let prefix = header.bytes
        try run.forEachCase { random, fuzzCase in
            var body = random.bytes(random.index(256))
            // Give most cases a plausible block type and length so that the decoders, not only the framing, see them.
            if body.count >= 8, !random.oneIn(4) {
                let type = [UInt32(1), 5, 6, 3, 0x0A0D_0D0A][random.index(5)]
                let length = UInt32(body.count & ~3)
                withUnsafeBytes(of: type.littleEndian) { body.replaceSubrange(0..<4, with: $0) }
                withUnsafeBytes(of: length.littleEndian) { body.replaceSubrange(4..<8, with: $0) }
                if length >= 12 { withUnsafeBytes(of: length.littleEndian) { body.replaceSubrange(Int(length) - 4..<Int(length), with: $0) } }
            }
            let (blocks, _) = Self.readWhole(prefix + body)
            #expect(blocks.count >= 2, "\(fuzzCase)")
        }
    }

    @Test("a block claiming 4 GiB is refused as soon as its length is read, without waiting for or allocating it")
    func hugeBlockLength() throws {
        var writer = PcapngWriter()
        writer.writeSectionHeader()
        var reader = PcapngReader()
        reader.append(contentsOf: writer.bytes + [6, 0, 0, 0, 0xFC, 0xFF, 0xFF, 0xFF])
        #expect(throws: PcapngError(.invalidBlockLength(0xFFFF_FFFC), offset: writer.bytes.count, blockType: 6)) {
            _ = try reader.next()
            _ = try reader.next()
        }
    }

    @Test("damaged packet runs (an agent's batch) yield packets up to the damage, then a PcapngError")
    func packetRuns() throws {
        let run = FuzzRun("pcapng packet run", cases: 4000)
        try run.forEachCase { random, fuzzCase in
            let stream = try FuzzPcapngSamples.stream(&random)
            // A batch carries EPBs only, in the agent's interface numbering: drop the section header and IDBs.
            let blocks = try PcapngReader.readAll(stream)
            var writer = PcapngWriter()
            writer.writeSectionHeader()
            for _ in 0..<3 { _ = try writer.writeInterfaceDescription(PcapngInterfaceDescription()) }
            let headerLength = writer.bytes.count
            for case .enhancedPacket(let packet) in blocks { try writer.writeEnhancedPacket(packet) }
            let damaged = random.mutate(Array(writer.bytes[headerLength...]))
            var delivered = 0
            let outcome: Result<Void, PcapngPacketRunError<Never>> = damaged.withUnsafeBytes { bytes in
                Result { () throws(PcapngPacketRunError<Never>) in
                    try PcapngPacketRun.forEachPacket(in: bytes) { packet in
                        #expect(packet.data.count <= bytes.count, "\(fuzzCase)")
                        delivered += 1
                    }
                }
            }
            if case .success = outcome {
                #expect(delivered <= damaged.count / 32, "\(fuzzCase)")
            }
        }
    }
}
