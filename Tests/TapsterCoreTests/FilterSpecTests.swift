import Foundation
import Testing
import TapsterCore

@Suite("FilterSpec and FlowRule")
struct FilterSpecTests {
    static func spec(selector: String = "app=web", peer: String? = nil, bpf: String? = nil, rules: [FlowRule]? = nil,
                     direction: Direction? = nil) -> FilterSpec {
        FilterSpec(name: "web-db", selector: Fixture.selector(selector), peerSelector: peer.map(Fixture.selector),
                   bpf: bpf, rules: rules, direction: direction)
    }

    static func portError(_ text: String) -> TapsterError {
        TapsterError.invalid("rules.port", "\"\(text)\" is not a port 1–65535 or a range low-high")
    }

    // MARK: validated()

    @Test("rejects an empty selector: it would tap every workload", arguments: ["", "  "])
    func rejectsEmptySelector(selector: String) {
        #expect(throws: TapsterError.invalid("selector", "must select something, e.g. app=web (an empty selector would tap every workload)")) {
            try Self.spec(selector: selector).validated()
        }
    }

    @Test("direction defaults to both, and a chosen direction is kept")
    func directionDefault() throws {
        #expect(try Self.spec().validated().direction == .both)
        #expect(Self.spec().effectiveDirection == .both)
        #expect(try Self.spec(direction: .in).validated().direction == .in)
        #expect(try Self.spec(direction: .out).validated().direction == .out)
    }

    @Test("an empty peer selector means no peer selector")
    func emptyPeerSelectorDropped() throws {
        #expect(try Self.spec(peer: "").validated().peerSelector == nil)
        #expect(try Self.spec(peer: "tier=db").validated().peerSelector == Fixture.selector("tier=db"))
    }

    @Test("a blank BPF expression means none")
    func blankBPFDropped() throws {
        #expect(try Self.spec(bpf: "  ").validated().bpf == nil)
        #expect(try Self.spec(bpf: "tcp port 80").validated().bpf == "tcp port 80")
    }

    @Test("a valid spec comes back with only the defaults filled in")
    func validatedKeepsFields() throws {
        let spec = FilterSpec(name: "web-db", description: "web ↔ db", tenant: "shop", selector: Fixture.selector("app=web"),
                              peerSelector: Fixture.selector("tier=db"), bpf: "tcp", rules: [FlowRule(port: "5432")])
        var expected = spec
        expected.direction = .both
        #expect(try spec.validated() == expected)
    }

    @Test("the name, tenant and description are checked")
    func commonFields() {
        var spec = Self.spec()
        spec.name = "Web"
        #expect(throws: TapsterError.invalid("name", "\"Web\" must be lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit")) {
            try spec.validated()
        }
        spec = Self.spec()
        spec.tenant = "-shop"
        #expect(throws: TapsterError.invalid("tenant", "\"-shop\" must be lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit")) {
            try spec.validated()
        }
        spec = Self.spec()
        spec.description = String(repeating: "d", count: 1025)
        #expect(throws: TapsterError.invalid("description", "is longer than 1024 characters")) { try spec.validated() }
    }

    @Test("the BPF text is at most 4096 characters without control characters")
    func bpfText() throws {
        #expect(try Self.spec(bpf: String(repeating: "x", count: 4096)).validated().bpf?.count == 4096)
        #expect(throws: TapsterError.invalid("bpf", "is longer than 4096 characters")) {
            try Self.spec(bpf: String(repeating: "x", count: 4097)).validated()
        }
        #expect(throws: TapsterError.invalid("bpf", "contains control characters")) { try Self.spec(bpf: "tcp\u{0}").validated() }
    }

    @Test("accepts up to 64 rules, rejects more")
    func ruleCount() throws {
        let rule = FlowRule(protocol: .tcp)
        #expect(try Self.spec(rules: Array(repeating: rule, count: 64)).validated().rules?.count == 64)
        #expect(throws: TapsterError.invalid("rules", "at most 64 rules")) {
            try Self.spec(rules: Array(repeating: rule, count: 65)).validated()
        }
    }

    @Test("validation rejects an invalid rule with the rule's error")
    func validationChecksRules() {
        #expect(throws: TapsterError.invalid("rules.port", "a port needs protocol tcp, udp or sctp, not icmp")) {
            try Self.spec(rules: [FlowRule(protocol: .tcp), FlowRule(protocol: .icmp, port: "80")]).validated()
        }
    }

    // MARK: Traffic expression

    @Test("without BPF or rules, the filter takes all the workload's traffic")
    func noTrafficExpression() throws {
        #expect(try Self.spec().trafficExpression() == nil)
        #expect(try Self.spec(bpf: " ", rules: []).trafficExpression() == nil)
    }

    @Test("a rule compiles to exact BPF text", arguments: [
        (FlowRule(protocol: .tcp, net: Fixture.cidr("10.0.0.0/8"), port: "5432"), "(tcp and net 10.0.0.0/8 and port 5432)"),
        (FlowRule(protocol: .udp, port: "8000-8080"), "(udp and portrange 8000-8080)"),
        (FlowRule(protocol: .tcp, port: "8080-8080"), "(tcp and port 8080)"),
        (FlowRule(port: "53"), "(port 53)"),
        (FlowRule(protocol: .sctp, port: "1-65535"), "(sctp and portrange 1-65535)"),
        (FlowRule(protocol: .icmp), "(icmp)"),
        (FlowRule(protocol: .icmp6, net: Fixture.cidr("2001:db8::/32")), "(icmp6 and net 2001:db8::/32)"),
        (FlowRule(net: Fixture.cidr("10.0.0.5")), "(host 10.0.0.5)"),
        (FlowRule(net: Fixture.cidr("2001:db8::1/128")), "(host 2001:db8::1)"),
        (FlowRule(net: Fixture.cidr("0.0.0.0/0")), "(net 0.0.0.0/0)"),
    ])
    func ruleBPF(rule: FlowRule, expression: String) throws {
        #expect(try Self.spec(rules: [rule]).trafficExpression() == expression)
    }

    @Test("a rule's own BPF is its parts joined with 'and'")
    func ruleOwnBPF() throws {
        #expect(try FlowRule(protocol: .tcp, net: Fixture.cidr("10.0.0.0/8"), port: "5432").bpf() == "tcp and net 10.0.0.0/8 and port 5432")
    }

    @Test("several rules are OR-ed")
    func rulesOred() throws {
        let rules = [FlowRule(protocol: .tcp, port: "80"), FlowRule(protocol: .udp, port: "53"), FlowRule(protocol: .icmp)]
        #expect(try Self.spec(rules: rules).trafficExpression() == "((tcp and port 80) or (udp and port 53) or (icmp))")
    }

    @Test("BPF alone is parenthesised")
    func bpfAlone() throws {
        #expect(try Self.spec(bpf: "tcp port 80 or udp").trafficExpression() == "(tcp port 80 or udp)")
    }

    @Test("BPF is AND-ed with the rules")
    func bpfAndRules() throws {
        #expect(try Self.spec(bpf: "not arp", rules: [FlowRule(protocol: .tcp, port: "80"), FlowRule(protocol: .udp, port: "53")])
            .trafficExpression() == "(not arp) and ((tcp and port 80) or (udp and port 53))")
        #expect(try Self.spec(bpf: "vlan", rules: [FlowRule(protocol: .tcp)]).trafficExpression() == "(vlan) and (tcp)")
    }

    @Test("a port needs protocol tcp, udp or sctp", arguments: [FlowProtocol.icmp, .icmp6])
    func portWithICMPRejected(proto: FlowProtocol) {
        #expect(throws: TapsterError.invalid("rules.port", "a port needs protocol tcp, udp or sctp, not \(proto.rawValue)")) {
            try FlowRule(protocol: proto, port: "80").bpf()
        }
    }

    @Test("a rule must name something")
    func emptyRuleRejected() {
        #expect(throws: TapsterError.invalid("rules", "a rule names at least one of protocol, net, port")) {
            try Self.spec(rules: [FlowRule()]).trafficExpression()
        }
    }

    // MARK: Ports

    @Test("parses a port or a low-high range inside 1–65535", arguments: [
        ("1", 1...1), ("5432", 5432...5432), ("65535", 65_535...65_535), ("8000-8080", 8000...8080), ("80-80", 80...80),
    ] as [(String, ClosedRange<Int>)])
    func portRange(text: String, range: ClosedRange<Int>) throws {
        #expect(try FlowRule.portRange(text) == range)
    }

    @Test("rejects ports outside 1–65535, reversed ranges and other text", arguments: [
        "0", "65536", "80-70", "0-80", "80-65536", "http", "80-", "-80", "1-2-3", "", "80 - 90", "8o",
    ])
    func portRangeRejected(text: String) {
        #expect(throws: Self.portError(text)) { try FlowRule.portRange(text) }
    }

    @Test("a bad port in a rule is reported before its protocol is checked")
    func badPortInRule() {
        #expect(throws: Self.portError("http")) { try FlowRule(protocol: .icmp, port: "http").bpf() }
    }
}
