import Foundation
import PacketKit

/// A pcapng file another process is still writing (tshark's reference, a capture's output), read as far as its
/// whole blocks go: a test waits on what it holds instead of sleeping until it must be complete.
public enum GrowingPcapng {
    /// The Enhanced Packet Blocks among the whole blocks of the file at `path` so far: a partial last block is left
    /// unread, a missing file holds none.
    public static func enhancedPackets(inFileAt path: String) throws -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        var reader = PcapngReader()
        reader.append(contentsOf: Array(data))
        var count = 0
        while let block = try reader.next() {
            if case .enhancedPacket = block { count += 1 }
        }
        return count
    }
}
