import TapsterSystemTestSupport
import Testing
import TapsterClient
import TapsterCore

@Suite("Flag syntax")
struct FlagSyntaxTests {
    @Test func ruleWithProtocolNetAndPort() throws {
        let rule = try FlagSyntax.flowRule("tcp,net=10.0.0.0/8,port=5432")
        #expect(rule.protocol == .tcp)
        #expect(rule.net?.description == "10.0.0.0/8")
        #expect(rule.port == "5432")
        #expect(try rule.bpf() == "tcp and net 10.0.0.0/8 and port 5432")
    }

    @Test func ruleWithPortRangeOnly() throws {
        #expect(try FlagSyntax.flowRule("port=8000-8080").bpf() == "portrange 8000-8080")
    }

    @Test(arguments: ["", "tcp,,port=1", "bogus", "tcp,colour=red", "icmp,port=80", "port=0", "net=10.0.0.1/8"])
    func badRulesAreRejected(text: String) {
        #expect(throws: TapsterError.self) { try FlagSyntax.flowRule(text) }
    }

    @Test func interfaceWithMacAndAddresses() throws {
        let interface = try FlagSyntax.interface("eth0,mac=02:42:ac:11:00:02,ip=10.0.0.2,ip=fd00::2")
        #expect(interface.name == "eth0")
        #expect(interface.mac == "02:42:ac:11:00:02")
        #expect(interface.ips.map(\.description) == ["10.0.0.2", "fd00::2"])
    }

    @Test func interfaceMustStartWithItsName() {
        #expect(throws: TapsterError.self) { try FlagSyntax.interface("ip=10.0.0.2") }
        #expect(throws: TapsterError.self) { try FlagSyntax.interface("eth0,ip=not-an-ip") }
    }

    @Test func labels() throws {
        #expect(try FlagSyntax.label("app=web") == (key: "app", value: "web"))
        #expect(try FlagSyntax.label("tier=") == (key: "tier", value: ""))
        #expect(throws: TapsterError.self) { try FlagSyntax.label("app") }
    }
}
