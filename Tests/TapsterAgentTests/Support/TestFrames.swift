import TapsterSystemTestSupport
import Foundation

/// Ethernet frames a test injects and then recognises in tcpdump's output: IEEE's local experimental
/// EtherType 0x88B5, so nothing else on a wire matches `ether proto 0x88b5`, and the frame's number in the
/// last two bytes of its (locally administered) source MAC, which `tcpdump -e` prints.
enum TestFrames {
    /// The EtherType (local experimental 1).
    static let etherType: UInt16 = 0x88B5
    /// The tcpdump filter matching these frames only.
    static let filter = "ether proto 0x88b5"
    /// The destination MAC of every test frame.
    static let destination: [UInt8] = [0x02, 0x00, 0x00, 0x00, 0x88, 0xb5]

    /// Frame number `index` (0–65535): source MAC `02:00:00:00:hh:ll`, then filler up to `length` bytes.
    static func frame(_ index: Int, length: Int = 64) -> [UInt8] {
        let source: [UInt8] = [0x02, 0x00, 0x00, 0x00, UInt8(truncatingIfNeeded: index >> 8), UInt8(truncatingIfNeeded: index)]
        var frame = destination + source + [UInt8(etherType >> 8), UInt8(etherType & 0xff)]
        frame += [UInt8](repeating: 0xab, count: max(0, length - frame.count))
        return frame
    }

    /// The frame number of a `tcpdump -e` line (`… 02:00:00:00:00:05 > 02:00:00:00:88:b5, ethertype …`),
    /// or nil when the line shows no test frame.
    static func index(ofLine line: String) -> Int? {
        guard let arrow = line.range(of: " > 02:00:00:00:88:b5") else { return nil }
        let source = line[..<arrow.lowerBound].split(separator: " ").last ?? ""
        let octets = source.split(separator: ":")
        guard octets.count == 6, let high = Int(octets[4], radix: 16), let low = Int(octets[5], radix: 16) else { return nil }
        return high << 8 | low
    }
}
