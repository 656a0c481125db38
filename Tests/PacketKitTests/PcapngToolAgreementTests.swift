import Foundation
import PacketKit
import TapsterSystemTestSupport
import Testing

/// capinfos and tshark read what the writer wrote without warnings and agree with our reader.
@Suite("pcapng read by capinfos and tshark", .enabled(if: WiresharkTools.available, "Wireshark's tools are not installed"))
struct PcapngToolAgreementTests {
    /// `1700000000.000000007`, as tshark prints `frame.time_epoch` for nanosecond interfaces.
    static func epoch(_ nanoseconds: UInt64) -> String {
        let fraction = String(nanoseconds % 1_000_000_000)
        return "\(nanoseconds / 1_000_000_000)." + String(repeating: "0", count: 9 - fraction.count) + fraction
    }

    @Test("packet count, interface names, filters, ns timestamps and ISBs agree")
    func agreement() throws {
        let (bytes, _) = try SampleCaptures.everyBlock()
        var reader = PcapngReader(bytes: bytes)
        var expected: [[String]] = []
        var statistics: [PcapngInterfaceStatistics] = []
        while let block = try reader.next() {
            switch block {
            case .enhancedPacket(let packet):
                expected.append([reader.interfaces[Int(packet.interfaceID)].name ?? "", Self.epoch(packet.timestamp),
                                 String(packet.originalLength), String(packet.data.count), packet.comments.joined(separator: ",")])
            case .interfaceStatistics(let block): statistics.append(block)
            default: break
            }
        }
        let interfaces = reader.interfaces
        #expect(statistics.map(\.osDrops) == [5, 1] && statistics.map(\.interfaceDrops) == [2, 0])

        try ScratchDirectory.with(label: "packetkit") { directory in
            let file = directory.appendingPathComponent("capture.pcapng")
            try Data(bytes).write(to: file)

            let rows = try WiresharkTools.fields(file, ["frame.interface_name", "frame.time_epoch", "frame.len", "frame.cap_len", "frame.comment"])
            #expect(rows == expected)

            let io = try WiresharkTools.run("tshark", ["-r", file.path, "-q", "-z", "io,stat,0"])
            #expect(io.status == 0 && io.warnings.isEmpty)
            let frames = io.lines.last { $0.contains("<>") }?.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(frames?[1] == String(expected.count), "io,stat frames: \(io.stdout)")

            let info = try WiresharkTools.run("capinfos", ["-M", file.path])
            #expect(info.status == 0 && info.warnings.isEmpty, "capinfos: \(info.stderr)")
            let text = info.stdout
            #expect(text.contains("Number of packets:   \(expected.count)"))
            #expect(text.contains("Number of interfaces in file: \(interfaces.count)"))
            #expect(text.contains("File timestamp precision:  nanoseconds (9)"))
            #expect(text.contains("Strict time order:   True"))
            #expect(text.contains("Capture application: Tapster test"))
            for interface in interfaces {
                #expect(text.contains("Name = \(interface.name!)"))
                #expect(text.contains("Description = \(interface.description!)"))
                #expect(text.contains("Filter string = \(interface.filter!)"))
                #expect(text.contains("Capture length = \(interface.snapLength)"))
            }
            // Wireshark 4.0's tools print no ISB counters; capinfos does attach one ISB to each interface.
            #expect(text.components(separatedBy: "Number of stat entries = 1").count - 1 == interfaces.count)
            #expect(text.components(separatedBy: "Time resolution = 0x09").count - 1 == interfaces.count)
        }
    }
}
