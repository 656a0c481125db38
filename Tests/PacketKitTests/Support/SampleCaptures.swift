import PacketKit

/// pcapng captures built with the writer, shared by the pcapng tests.
enum SampleCaptures {
    static let start: UInt64 = 1_700_000_000_000_000_000

    static let web = PcapngInterfaceDescription(
        snapLength: 65535, name: "node-3/web-7f9c/eth0", description: "web-7f9c (app=web) on node-3",
        filter: "tcp port 5432", operatingSystem: "Linux 6.1", hardware: "veth", comments: ["tap t-1"],
        otherOptions: [PcapngOption(code: 6, value: [0x02, 0x42, 0x0a, 0, 0, 2])])
    static let db = PcapngInterfaceDescription(
        snapLength: 96, name: "node-4/db-5d2a/eth0", description: "db-5d2a (app=db) on node-4", filter: "tcp port 5432")

    static let sectionHeader = PcapngSectionHeader(hardware: "x86_64", operatingSystem: "Debian 12", userApplication: "Tapster test",
                                                   comments: ["merged capture"])

    /// Every block kind and option: one section, two interfaces, packets of odd lengths (padding), one
    /// longer than its interface's snapshot length, flags, drop counts, comments, and one ISB per interface.
    static func everyBlock() throws -> (bytes: [UInt8], blocks: [PcapngBlock]) {
        var blocks: [PcapngBlock] = [.sectionHeader(sectionHeader), .interfaceDescription(web), .interfaceDescription(db)]
        for index in 0..<6 {
            let frame = InnerFrames.tcpSyn(sourcePort: UInt16(40000 + index)) + Array(repeating: UInt8(index), count: index)
            let interface = UInt32(index % 2)
            var packet = PcapngEnhancedPacket(interfaceID: interface, timestamp: start + UInt64(index) * 1_000_123 + 7,
                                              data: frame[...])
            if index == 1 { packet.flags = PcapngPacketFlags(direction: .egress) }
            if index == 2 { packet.dropCount = 3; packet.flags = PcapngPacketFlags(direction: .ingress) }
            if index == 3 { packet.comments = ["retransmission?"] }
            blocks.append(.enhancedPacket(packet))
        }
        // A packet longer than db's snapshot length (96): the writer keeps 96 bytes and the original length.
        let long = Array(repeating: UInt8(0xAB), count: 150)
        blocks.append(.enhancedPacket(PcapngEnhancedPacket(interfaceID: 1, timestamp: start + 9_000_000, data: long[...])))
        blocks.append(.interfaceStatistics(PcapngInterfaceStatistics(
            interfaceID: 0, timestamp: start + 10_000_000, startTime: start, endTime: start + 10_000_000,
            received: 1000, interfaceDrops: 2, filterAccepted: 900, osDrops: 5, userDelivered: 893, comments: ["final"])))
        blocks.append(.interfaceStatistics(PcapngInterfaceStatistics(
            interfaceID: 1, timestamp: start + 10_000_001, startTime: start, endTime: start + 10_000_001, received: 20,
            interfaceDrops: 0, osDrops: 1)))
        var writer = PcapngWriter()
        for block in blocks { try writer.write(block) }
        return (writer.bytes, blocks)
    }

    /// A capture of `count` packets on one interface named `name`, timestamps `first + i × step` (+ jitter).
    static func stream(name: String, count: Int, first: UInt64, step: UInt64, jitter: (Int) -> UInt64 = { _ in 0 },
                       drops: UInt64 = 0) throws -> [UInt8] {
        var writer = PcapngWriter()
        writer.writeSectionHeader(PcapngSectionHeader(userApplication: "Tapster test"))
        let id = try writer.writeInterfaceDescription(PcapngInterfaceDescription(name: name, filter: "tcp"))
        for index in 0..<count {
            let frame = InnerFrames.tcpSyn(sourcePort: UInt16(truncatingIfNeeded: index), destinationPort: 5432)
            try frame.withUnsafeBytes { bytes in
                try writer.writeEnhancedPacket(interfaceID: id, timestamp: first + UInt64(index) * step + jitter(index), data: bytes)
            }
        }
        try writer.writeInterfaceStatistics(PcapngInterfaceStatistics(
            interfaceID: id, timestamp: first + UInt64(count) * step, startTime: first, endTime: first + UInt64(count) * step,
            received: UInt64(count) + drops, interfaceDrops: 0, osDrops: drops))
        return writer.bytes
    }
}
