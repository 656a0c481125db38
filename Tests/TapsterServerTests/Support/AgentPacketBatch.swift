import Foundation
import PacketKit
import TapsterWire

/// Agents' `PacketBatch`es as their stream sinks send them, for tests that feed a ``CaptureMerge`` directly.
enum AgentPacketBatch {
    /// A batch from `agent` carrying `packets` (interface 0) as Enhanced Packet Blocks in nanoseconds, describing
    /// its eth0 (snaplen 262 144) when `describe`, with `watermark` (0: none).
    static func make(_ agent: String, _ packets: [PcapngEnhancedPacket], describe: Bool, watermark: UInt64 = 0) throws -> Tapster_Agent_V1_PacketBatch {
        var batch = Tapster_Agent_V1_PacketBatch()
        batch.captureID = "c"
        if describe {
            var interface = Tapster_Agent_V1_CaptureInterface()
            interface.index = 0
            interface.name = "\(agent)/web/eth0"
            interface.linkType = 1
            interface.snaplen = 262_144
            batch.interfaces = [interface]
        }
        var writer = PcapngWriter(reservingCapacity: 8192)
        writer.writeSectionHeader()
        _ = try writer.writeInterfaceDescription(PcapngInterfaceDescription())
        writer.removeAll()
        for packet in packets { try writer.writeEnhancedPacket(packet) }
        batch.blocks = Data(writer.bytes)
        batch.watermarkNs = watermark
        return batch
    }
}
