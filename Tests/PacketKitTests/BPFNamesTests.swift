import PacketKit
import Testing

/// Which words of an expression libpcap would look up as names (NSS), and compiling off the cooperative pool.
@Suite struct BPFNamesTests {
    @Test(arguments: [
        ("host example.com", ["example.com"]),
        ("port http", ["http"]),
        ("tcp and dst port https or src host db", ["https", "db"]),
        ("ether host gateway-1", ["gateway-1"]),
        ("net office", ["office"]),
        ("ip proto \\ospf", ["\\ospf"]),
        ("ether proto \\arp", ["\\arp"]),
        ("protochain ospf", ["ospf"]),
        ("len-14 > 0", ["len-14"]),
    ])
    func namesAreFound(expression: String, names: [String]) {
        #expect(BPFNames.find(in: expression) == names)
    }

    @Test(arguments: [
        "tcp port 5432 and host 10.0.0.5",
        "udp and not port 53",
        "net 10.0.0.0/8 or net 192.168",
        "ip6 host fe80::1 or ip6 net 2001:db8::/32 or host ::ffff:10.0.0.1",
        "ether host aa:bb:cc:dd:ee:ff or ether src 02-00-00-00-00-01 or ether dst aabb.ccdd.eeff",
        "portrange 1000-2000 and ip proto 6",
        "tcp[tcpflags] & (tcp-syn|tcp-ack) != 0 or icmp[icmptype] != icmp-echo",
        "vlan 100 and ether proto 0x0800 and len <= 1500",
        "",
    ])
    func numbersAndKeywordsAreNotNames(expression: String) throws {
        #expect(BPFNames.find(in: expression) == [])
        _ = try BPFProgram.compile(expression)
    }

    @Test func compilingOffThePoolGivesTheSameProgramAndLibpcapsMessage() async throws {
        #expect(try await BPFProgram.compileOffPool("tcp port 5432") == BPFProgram.compile("tcp port 5432"))
        let error = await #expect(throws: BPFCompileError.self) { try await BPFProgram.compileOffPool("tcp port") }
        let expected = #expect(throws: BPFCompileError.self) { try BPFProgram.compile("tcp port") }
        #expect(error?.message == expected?.message)
    }
}
