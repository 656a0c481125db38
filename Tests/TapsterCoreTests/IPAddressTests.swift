import Foundation
import Testing
import TapsterCore

@Suite("IPAddress")
struct IPAddressTests {
    static func notAnAddress(_ text: String) -> TapsterError {
        TapsterError(.invalidArgument, "\"\(text)\" is not an IPv4 or IPv6 address")
    }

    @Test("parses dotted-quad IPv4 into 4 bytes and prints it back unchanged", arguments: [
        ("192.0.2.1", [192, 0, 2, 1]), ("0.0.0.0", [0, 0, 0, 0]), ("255.255.255.255", [255, 255, 255, 255]), ("10.0.0.10", [10, 0, 0, 10]),
    ] as [(String, [UInt8])])
    func parsesIPv4(text: String, bytes: [UInt8]) throws {
        let address = try IPAddress(parsing: text)
        #expect(address.bytes == bytes)
        #expect(address.isIPv4)
        #expect(address.description == text)
    }

    @Test("rejects malformed IPv4", arguments: [
        "1.2.3", "256.1.1.1", "01.2.3.4", "1.2.3.04", "1.2.3.4.5", "1..2.3", "a.b.c.d", " 1.2.3.4", "1.2.3.4 ",
        "1.2.3.-4", "1.2.3.+4", "", "1.2.3.4/8", "1234.1.1.1", "1.2.3.٤",
    ])
    func rejectsIPv4(text: String) {
        #expect(throws: Self.notAnAddress(text)) { try IPAddress(parsing: text) }
    }

    @Test("prints IPv6 canonically (RFC 5952): lowercase, no leading zeros, longest zero run as ::", arguments: [
        ("2001:0db8:0:0:0:0:0:1", "2001:db8::1"),
        ("2001:db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::", "::"),
        ("0:0:0:0:0:0:0:0", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("2001:DB8::A", "2001:db8::a"),
        ("fe80::0001", "fe80::1"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),   // a single zero group is not compressed
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),              // the longest run is compressed
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),        // of equal runs, the first
    ])
    func canonicalIPv6(text: String, canonical: String) throws {
        let address = try IPAddress(parsing: text)
        #expect(address.bytes.count == 16)
        #expect(!address.isIPv4)
        #expect(address.description == canonical)
    }

    @Test("prints an IPv4-mapped IPv6 address with its IPv4 part dotted (RFC 5952 §5)", arguments: [
        "::ffff:192.0.2.1", "::FFFF:192.0.2.1", "::ffff:c000:201", "0:0:0:0:0:ffff:c000:0201",
    ])
    func ipv4MappedCanonical(text: String) throws {
        let address = try IPAddress(parsing: text)
        #expect(address.bytes == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1])
        #expect(address.description == "::ffff:192.0.2.1")
    }

    @Test("an IPv4-mapped address is an IPv6 address, distinct from the IPv4 one")
    func ipv4MappedIsNotIPv4() throws {
        let mapped = try IPAddress(parsing: "::ffff:192.0.2.1")
        #expect(!mapped.isIPv4)
        #expect(mapped != Fixture.ip("192.0.2.1"))
    }

    @Test("accepts an embedded IPv4 address at the end, printed in hex outside ::ffff:0:0/96", arguments: [
        ("64:ff9b::192.0.2.1", "64:ff9b::c000:201"), ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"),
    ])
    func embeddedIPv4(text: String, canonical: String) throws {
        #expect(try IPAddress(parsing: text).description == canonical)
    }

    @Test("rejects malformed IPv6", arguments: [
        "1::2::3", ":::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::1", "::ffff:256.0.0.1", "1.2.3.4::",
        "1::1.2.3.4:5", "fe80::1%eth0", "2001:db8::+1", "2001:db8::-0", ":1::", "1:", "::1:", "1:2:3:4:5:6:7:8::",
        "1:2:3:4:5:6:7:1.2.3.4", "[::1]", "::ｆ",
    ])
    func rejectsIPv6(text: String) {
        #expect(throws: Self.notAnAddress(text)) { try IPAddress(parsing: text) }
    }

    @Test("its canonical form parses back to the same address", arguments: [
        "192.0.2.1", "2001:db8::1", "::", "::ffff:192.0.2.1", "2001:0:0:1::1", "fe80::1:2",
    ])
    func canonicalRoundTrips(text: String) throws {
        let address = try IPAddress(parsing: text)
        #expect(try IPAddress(parsing: address.description) == address)
    }

    @Test("encodes to and decodes from its canonical string in JSON")
    func jsonString() throws {
        let data = try TapsterJSON.encoder().encode([Fixture.ip("2001:0db8::0001")])
        #expect(String(decoding: data, as: UTF8.self) == #"["2001:db8::1"]"#)
        #expect(try TapsterJSON.decoder().decode([IPAddress].self, from: data) == [Fixture.ip("2001:db8::1")])
        #expect(throws: DecodingError.self) { try TapsterJSON.decoder().decode([IPAddress].self, from: Data(#"["1.2.3"]"#.utf8)) }
    }
}
