import Foundation
import Testing
import TapsterCore

@Suite("CIDR")
struct CIDRTests {
    @Test("parses address/prefix and prints it canonically", arguments: [
        ("10.0.0.0/8", "10.0.0.0/8", 8), ("0.0.0.0/0", "0.0.0.0/0", 0), ("192.0.2.0/24", "192.0.2.0/24", 24),
        ("10.128.0.0/9", "10.128.0.0/9", 9), ("192.0.2.1/32", "192.0.2.1/32", 32),
        ("2001:0db8::/32", "2001:db8::/32", 32), ("::/0", "::/0", 0), ("2001:db8::1/128", "2001:db8::1/128", 128),
        ("fe80::/10", "fe80::/10", 10),
    ] as [(String, String, Int)])
    func parses(text: String, canonical: String, prefixLength: Int) throws {
        let cidr = try CIDR(parsing: text)
        #expect(cidr.prefixLength == prefixLength)
        #expect(cidr.description == canonical)
    }

    @Test("a bare address is a host route: /32 for IPv4, /128 for IPv6", arguments: [
        ("192.0.2.1", "192.0.2.1/32", 32), ("2001:db8::1", "2001:db8::1/128", 128),
    ] as [(String, String, Int)])
    func bareAddressIsHostRoute(text: String, canonical: String, prefixLength: Int) throws {
        let cidr = try CIDR(parsing: text)
        #expect(cidr.address == Fixture.ip(text))
        #expect(cidr.prefixLength == prefixLength)
        #expect(cidr.description == canonical)
    }

    @Test("rejects host bits set beyond the prefix", arguments: [
        ("10.0.0.1/8", 8), ("10.128.0.0/8", 8), ("192.0.2.1/31", 31), ("10.0.0.0/0", 0),
        ("2001:db8::1/64", 64), ("2001:db8::/16", 16),
    ] as [(String, Int)])
    func rejectsHostBits(text: String, prefixLength: Int) {
        #expect(throws: TapsterError(.invalidArgument, "\"\(text)\" has host bits set beyond /\(prefixLength)")) {
            try CIDR(parsing: text)
        }
    }

    @Test("rejects a prefix length that is not 0–32 (IPv4) or 0–128 (IPv6)", arguments: [
        ("10.0.0.0/33", 32), ("10.0.0.0/", 32), ("10.0.0.0/-1", 32), ("10.0.0.0/+8", 32), ("10.0.0.0/a", 32),
        ("10.0.0.0/ 8", 32), ("::/129", 128),
    ] as [(String, Int)])
    func rejectsPrefixLength(text: String, maximum: Int) {
        #expect(throws: TapsterError(.invalidArgument, "\"\(text)\": prefix length must be 0–\(maximum)")) {
            try CIDR(parsing: text)
        }
    }

    @Test("rejects text that is not an address with an optional prefix", arguments: [
        "", "/8", "10.0.0/8", "10.0.0.0/8/8", "web", "10.0.0.0.0/8",
    ])
    func rejectsSyntax(text: String) {
        #expect(throws: TapsterError(.invalidArgument, "\"\(text)\" is not a CIDR such as 10.0.0.0/8 or 2001:db8::/32")) {
            try CIDR(parsing: text)
        }
    }

    @Test("encodes to and decodes from its string form in JSON")
    func jsonString() throws {
        let data = try TapsterJSON.encoder().encode([Fixture.cidr("10.0.0.0/8")])
        #expect(String(decoding: data, as: UTF8.self) == #"["10.0.0.0/8"]"#)
        #expect(try TapsterJSON.decoder().decode([CIDR].self, from: data) == [Fixture.cidr("10.0.0.0/8")])
        #expect(throws: DecodingError.self) { try TapsterJSON.decoder().decode([CIDR].self, from: Data(#"["10.0.0.1/8"]"#.utf8)) }
    }
}
