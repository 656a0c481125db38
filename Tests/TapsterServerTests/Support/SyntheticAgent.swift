import Foundation
import PacketKit
import TapsterWire

/// Builds the `PacketBatch` messages an agent sends for a capture — real protocol messages with real
/// pcapng EPBs, made here without an agent, so the broker can be tested on its own.
struct SyntheticAgent {
    /// One interface this agent captures on.
    struct Interface {
        var index: UInt32
        var name: String
        var filter: String = "tcp"
        var snaplen: UInt32 = 0
    }

    let host: String
    let captureID: String
    var interfaces: [Interface]
    private var described: Set<UInt32> = []
    /// Counters per interface index, as the agent reports them.
    var received: [UInt32: UInt64] = [:]
    var kernelDrops: [UInt32: UInt64] = [:]
    var agentDrops: [UInt32: UInt64] = [:]

    init(host: String, captureID: String, interfaces: [Interface]) {
        self.host = host
        self.captureID = captureID
        self.interfaces = interfaces
    }

    /// The frame of packet `number` from this host: Ethernet + IPv4 + UDP, distinct per host and number,
    /// `size` bytes long (at least 46).
    static func frame(host: UInt8, number: UInt32, size: Int = 64) -> [UInt8] {
        var frame: [UInt8] = [0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, host, 0x08, 0x00]
        let ipLength = UInt16(size - 14)
        var ip: [UInt8] = [0x45, 0, UInt8(ipLength >> 8), UInt8(ipLength & 0xff), 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, host, 10, 0, 0, 100]
        let checksum = InternetChecksum.compute(ip)
        ip[10] = UInt8(checksum >> 8)
        ip[11] = UInt8(checksum & 0xff)
        let udpLength = UInt16(size - 34)
        let port = UInt16(truncatingIfNeeded: 10_000 + number)
        var udp: [UInt8] = [UInt8(port >> 8), UInt8(port & 0xff), 0x13, 0x88, UInt8(udpLength >> 8), UInt8(udpLength & 0xff), 0, 0]
        udp += (0..<(size - 42)).map { UInt8(truncatingIfNeeded: Int(number) &+ $0) }
        frame += ip + udp
        return frame
    }

    /// A batch of packets `(interface index, timestamp ns, frame)`; interfaces not yet described are
    /// described in it, and the counters so far go with it.
    mutating func batch(_ packets: [(interface: UInt32, timestamp: UInt64, frame: [UInt8])], last: Bool = false) throws -> Tapster_Agent_V1_PacketBatch {
        var writer = PcapngWriter()
        writer.writeSectionHeader()
        for interface in interfaces { try writer.writeInterfaceDescription(PcapngInterfaceDescription(snapLength: interface.snaplen)) }
        writer.removeAll()
        var batch = Tapster_Agent_V1_PacketBatch()
        batch.captureID = captureID
        batch.tapID = captureID
        for packet in packets {
            try packet.frame.withUnsafeBytes { try writer.writeEnhancedPacket(interfaceID: packet.interface, timestamp: packet.timestamp, data: $0) }
            received[packet.interface, default: 0] += 1
        }
        for interface in interfaces where !described.contains(interface.index) && (packets.contains { $0.interface == interface.index } || last) {
            var description = Tapster_Agent_V1_CaptureInterface()
            description.index = interface.index
            description.name = interface.name
            description.filter = interface.filter
            description.linkType = 1
            description.snaplen = interface.snaplen
            batch.interfaces.append(description)
            described.insert(interface.index)
        }
        batch.blocks = Data(writer.bytes)
        for interface in interfaces where described.contains(interface.index) {
            var counters = Tapster_Agent_V1_InterfaceCounters()
            counters.index = interface.index
            counters.received = received[interface.index, default: 0]
            counters.kernelDrops = kernelDrops[interface.index, default: 0]
            counters.agentDrops = agentDrops[interface.index, default: 0]
            batch.counters.append(counters)
        }
        batch.last = last
        return batch
    }
}
