import Foundation
import Testing
import TapsterCore

@Suite("BandwidthCap")
struct BandwidthCapTests {
    @Test("parses decimal units, with or without bps, in any case", arguments: [
        ("500kbps", 500_000), ("100Mbps", 100_000_000), ("1Gbps", 1_000_000_000), ("100M", 100_000_000),
        ("1G", 1_000_000_000), ("2500k", 2_500_000), ("1kbps", 1_000), ("1000", 1_000), ("1000bps", 1_000),
        ("100MBPS", 100_000_000), ("400Gbps", 400_000_000_000), ("10gbps", 10_000_000_000),
    ] as [(String, UInt64)])
    func parses(text: String, bitsPerSecond: UInt64) throws {
        #expect(try BandwidthCap(parsing: text).bitsPerSecond == bitsPerSecond)
    }

    @Test("rejects text that is not a bandwidth", arguments: [
        "", "fast", "Mbps", "bps", "1.5Gbps", "-1G", "0", "0kbps", "10 Mbps", "1Tbps", "1Gbit", "1000b",
    ])
    func rejectsSyntax(text: String) {
        #expect(throws: TapsterError.invalid("bandwidth_cap", "\"\(text)\" is not a bandwidth such as 500kbps, 100Mbps or 1Gbps")) {
            try BandwidthCap(parsing: text)
        }
    }

    @Test("rejects bandwidths outside 1kbps–400Gbps, including ones that overflow", arguments: [
        "999", "999bps", "401Gbps", "400000000001", "18446744073709551615G",
    ])
    func rejectsOutOfRange(text: String) {
        #expect(throws: TapsterError.invalid("bandwidth_cap", "\"\(text)\" is outside 1kbps–400Gbps")) {
            try BandwidthCap(parsing: text)
        }
    }

    @Test("describes itself in the largest unit that divides it exactly", arguments: [
        (1_000, "1kbps"), (1_500_000, "1500kbps"), (100_000_000, "100Mbps"), (1_000_000_000, "1Gbps"),
        (2_000_000_000, "2Gbps"), (2_500_000_000, "2500Mbps"), (1_001, "1001bps"),
    ] as [(UInt64, String)])
    func description(bitsPerSecond: UInt64, text: String) throws {
        let cap = BandwidthCap(bitsPerSecond: bitsPerSecond)
        #expect(cap.description == text)
        #expect(try BandwidthCap(parsing: text) == cap)
    }

    @Test("encodes to and decodes from its description in JSON")
    func jsonString() throws {
        let data = try TapsterJSON.encoder().encode([BandwidthCap(bitsPerSecond: 100_000_000)])
        #expect(String(decoding: data, as: UTF8.self) == #"["100Mbps"]"#)
        #expect(try TapsterJSON.decoder().decode([BandwidthCap].self, from: Data(#"["1G"]"#.utf8)) == [BandwidthCap(bitsPerSecond: 1_000_000_000)])
    }

    @Test("refuses to decode an invalid bandwidth")
    func refusesInvalidJSON() {
        #expect(throws: DecodingError.self) { try TapsterJSON.decoder().decode([BandwidthCap].self, from: Data(#"["999"]"#.utf8)) }
    }
}
