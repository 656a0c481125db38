import Foundation
import Testing
import TapsterCore

@Suite("Payload")
struct PayloadTests {
    @Test("\"full\" keeps whole packets (libpcap snaplen 262144)")
    func full() throws {
        let payload = try Payload(parsing: "full")
        #expect(payload == .full)
        #expect(payload.snaplen == 262_144)
        #expect(payload.description == "full")
    }

    @Test("\"headers:N\" keeps the first N bytes, 64 ≤ N ≤ 9216", arguments: [64, 128, 1500, 9216])
    func headers(snaplen: Int) throws {
        let payload = try Payload(parsing: "headers:\(snaplen)")
        #expect(payload == .headers(snaplen: snaplen))
        #expect(payload.snaplen == snaplen)
        #expect(payload.description == "headers:\(snaplen)")
    }

    @Test("rejects a snaplen outside 64–9216", arguments: [0, 63, 9217, 65_535])
    func rejectsSnaplenOutOfRange(snaplen: Int) {
        #expect(throws: TapsterError.invalid("payload", "snaplen \(snaplen) is outside 64–9216")) {
            try Payload(parsing: "headers:\(snaplen)")
        }
    }

    @Test("rejects anything but full or headers:<number>", arguments: [
        "headers:", "head:128", "headers", "FULL", "Full", "", "headers:abc", "headers:64:1", "headers:1.5", "full:64",
    ])
    func rejectsSyntax(text: String) {
        #expect(throws: TapsterError.invalid("payload", "\"\(text)\" is not \"full\" or \"headers:<snaplen>\"")) {
            try Payload(parsing: text)
        }
    }

    @Test("the valid snaplen range is 64...9216")
    func snaplenRange() {
        #expect(Payload.snaplenRange == 64...9216)
    }

    @Test("encodes to and decodes from its string form in JSON")
    func jsonString() throws {
        let data = try TapsterJSON.encoder().encode([Payload.full, .headers(snaplen: 128)])
        #expect(String(decoding: data, as: UTF8.self) == #"["full","headers:128"]"#)
        #expect(try TapsterJSON.decoder().decode([Payload].self, from: data) == [.full, .headers(snaplen: 128)])
    }

    @Test("refuses to decode an invalid payload")
    func refusesInvalidJSON() {
        #expect(throws: DecodingError.self) { try TapsterJSON.decoder().decode([Payload].self, from: Data(#"["headers:63"]"#.utf8)) }
    }
}
