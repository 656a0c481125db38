import Foundation
import NIOCore
import PacketKit

/// Follows a capture's pcapng as it streams in from the server, so that a stream cut off midway (the
/// server killed, the network gone) still leaves a valid file: only whole blocks are passed on to be
/// written, and the client knows every interface the stream described, so it can end the file itself
/// with a statistics block (ISB) per interface, as the server would have.
struct CaptureStreamTracker {
    private var reader = PcapngReader()
    /// Bytes received but not passed on yet: the start of a block still arriving.
    private var partial: [UInt8] = []
    private var passedOn = 0
    /// Packets per interface id of the current section.
    private(set) var packets: [UInt64] = []
    private(set) var firstPacket: UInt64?
    private(set) var lastPacket: UInt64?
    /// Whether the stream was not valid pcapng: everything is then passed on as it comes.
    private(set) var damaged = false

    /// Whether a section began (a file made of what was passed on is a pcapng).
    var hasSection: Bool { reader.section != nil }

    /// The interfaces described so far.
    var interfaces: [PcapngInterfaceDescription] { reader.interfaces }

    /// Takes the next chunk of the stream; returns the bytes to write now: every block it completed.
    mutating func take(_ chunk: ByteBuffer) -> [UInt8] {
        if damaged { return Array(chunk.readableBytesView) }
        chunk.withUnsafeReadableBytes { reader.append($0) }
        partial += chunk.readableBytesView
        do {
            while let block = try reader.next() {
                switch block {
                case .sectionHeader:
                    packets = []
                case .interfaceDescription:
                    packets.append(0)
                case .enhancedPacket(let packet):
                    if Int(packet.interfaceID) < packets.count { packets[Int(packet.interfaceID)] += 1 }
                    firstPacket = firstPacket ?? packet.timestamp
                    lastPacket = max(lastPacket ?? 0, packet.timestamp)
                default:
                    break
                }
            }
        } catch {
            damaged = true
            defer { partial = [] }
            return partial
        }
        let complete = reader.offset - passedOn
        passedOn = reader.offset
        defer { partial.removeFirst(complete) }
        return Array(partial.prefix(complete))
    }

    /// The blocks that end the file when the stream was cut off: one ISB per interface, with the packets
    /// this file holds of it (what the server counted — received, dropped — never came), its first and
    /// last packet times, and `comment`. Empty when there is no section, or nothing to describe (or the
    /// section is big-endian, which the writer does not write; Tapster servers write little-endian).
    func closingStatistics(comment: String, at now: UInt64) -> [UInt8] {
        guard !damaged, let section = reader.section, section.byteOrder == .littleEndian, !interfaces.isEmpty else { return [] }
        var writer = PcapngWriter(reservingCapacity: 4096)
        writer.writeSectionHeader(section)
        do {
            for interface in interfaces { try writer.writeInterfaceDescription(interface) }
            let start = writer.byteCount
            for id in interfaces.indices {
                try writer.writeInterfaceStatistics(PcapngInterfaceStatistics(
                    interfaceID: UInt32(id), timestamp: now, startTime: firstPacket, endTime: lastPacket ?? now,
                    userDelivered: id < packets.count ? packets[id] : 0, comments: [comment]))
            }
            return Array(writer.bytes[start...])
        } catch {
            return []
        }
    }
}
