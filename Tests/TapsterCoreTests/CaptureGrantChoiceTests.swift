import Foundation
import Testing
import TapsterAPI
import TapsterCore

@Suite("CaptureGrantChoice.choose")
struct CaptureGrantChoiceTests {
    static let alice = Fixture.owner("alice", tenants: ["shop"])
    static let kinds: [String: TargetKind] = ["live": .stream, "live-2": .stream, "archive": .store, "ids": .erspan]

    static func grant(_ filter: String, _ target: String, user: String? = "alice", tenant: String? = nil) -> Grant {
        Grant(createdAt: Fixture.t0, spec: GrantSpec(user: tenant == nil ? user : nil, tenant: tenant, filter: filter, target: target,
                                                     maxDuration: Fixture.duration("1h")))
    }

    static func choose(_ grants: [Grant], as p: Principal = alice, filter: String? = nil, target: String? = nil,
                       mode: CaptureMode = .stream) throws(TapsterError) -> CaptureGrantChoice.Choice {
        try CaptureGrantChoice.choose(p, filter: filter, target: target, mode: mode, grants: grants, targetKinds: kinds)
    }

    @Test("the one grant with a stream target is used; grants to other kinds of target do not count")
    func singleStreamGrant() throws {
        let choice = try Self.choose([Self.grant("web", "ids"), Self.grant("web", "live"), Self.grant("db", "archive")])
        #expect(choice == .init(filter: "web", target: "live"))
    }

    @Test("--store picks the grant with a store target")
    func storeMode() throws {
        #expect(try Self.choose([Self.grant("web", "live"), Self.grant("db", "archive")], mode: .store) == .init(filter: "db", target: "archive"))
    }

    @Test("a grant to the owner's tenant counts; one to another owner does not")
    func addressedGrantsOnly() throws {
        #expect(try Self.choose([Self.grant("web", "live", tenant: "shop"), Self.grant("db", "live-2", user: "bob")])
            == .init(filter: "web", target: "live"))
    }

    @Test("no grant with a stream target is not_granted")
    func noStreamGrant() {
        #expect(throws: TapsterError(.notGranted, "you have no grant to capture with a stream target; ask an admin for one")) {
            try Self.choose([Self.grant("web", "ids")])
        }
    }

    @Test("-F naming a filter without a stream grant is not_granted, naming it")
    func filterWithoutGrant() {
        #expect(throws: TapsterError(.notGranted, "you have no grant to capture with a stream target through filter \"db\"; ask an admin for one")) {
            try Self.choose([Self.grant("web", "live")], filter: "db")
        }
    }

    @Test("several grants are an error listing them and pointing at -F")
    func severalGrants() {
        #expect(throws: TapsterError(.ambiguousGrant,
                                     "several grants allow this capture: filter \"db\" with target \"live\", filter \"web\" with target \"live\"; choose one with -F FILTER")) {
            try Self.choose([Self.grant("web", "live"), Self.grant("db", "live"), Self.grant("web", "live", tenant: "shop")])
        }
    }

    @Test("-F picks among several grants")
    func filterPicks() throws {
        #expect(try Self.choose([Self.grant("web", "live"), Self.grant("db", "live")], filter: "db") == .init(filter: "db", target: "live"))
    }

    @Test("one filter granted with two stream targets needs --target")
    func targetPicks() throws {
        let grants = [Self.grant("web", "live"), Self.grant("web", "live-2")]
        #expect(throws: TapsterError(.ambiguousGrant,
                                     "several grants allow this capture: filter \"web\" with target \"live\", filter \"web\" with target \"live-2\"; choose one with --target TARGET")) {
            try Self.choose(grants, filter: "web")
        }
        #expect(try Self.choose(grants, filter: "web", target: "live-2") == .init(filter: "web", target: "live-2"))
    }

    @Test("an admin naming filter and target needs no grant; without them, any grant counts")
    func admin() throws {
        #expect(try Self.choose([], as: Fixture.admin, filter: "x", target: "y") == .init(filter: "x", target: "y"))
        #expect(try Self.choose([Self.grant("web", "live", user: "bob")], as: Fixture.admin) == .init(filter: "web", target: "live"))
    }

    @Test("auditors cannot capture")
    func auditor() {
        #expect(throws: TapsterError(.forbidden, "auditors have read-only access")) {
            try Self.choose([Self.grant("web", "live")], as: Fixture.auditor)
        }
    }
}

@Suite("CaptureRequest and CaptureNarrowing")
struct CaptureNarrowingTests {
    static func lookingBack(_ seconds: Int64, entitledSince: Date?) -> CaptureNarrowing {
        var narrowing = CaptureNarrowing(mode: .stream)
        narrowing.before = TapDuration(seconds: seconds)
        narrowing.entitledSince = entitledSince
        return narrowing
    }

    @Test("a look-back starts `before` the capture's start when its owner was entitled before that")
    func aLookBackStartsBeforeTheStart() {
        let started = Fixture.t0.addingTimeInterval(100)
        #expect(Self.lookingBack(20, entitledSince: nil).lookBackStart(startedAt: started) == Fixture.t0.addingTimeInterval(80))
        #expect(Self.lookingBack(20, entitledSince: Fixture.t0).lookBackStart(startedAt: started) == Fixture.t0.addingTimeInterval(80))
    }

    @Test("a look-back never starts before its owner was entitled, nor after the capture's start")
    func aLookBackIsBoundedByTheEntitlement() {
        let started = Fixture.t0.addingTimeInterval(100)
        #expect(Self.lookingBack(20, entitledSince: Fixture.t0.addingTimeInterval(95)).lookBackStart(startedAt: started)
            == Fixture.t0.addingTimeInterval(95))
        #expect(Self.lookingBack(20, entitledSince: Fixture.t0.addingTimeInterval(130)).lookBackStart(startedAt: started) == started)
    }

    @Test("an owner's look-back of a workload never starts before the workload joined the capture's tenant")
    func anOwnersLookBackIsBoundedByTheWorkloadsTenancy() {
        let started = Fixture.t0.addingTimeInterval(100)
        let owners = Self.lookingBack(20, entitledSince: Fixture.t0)
        #expect(owners.lookBackStart(startedAt: started, tenantSince: Fixture.t0.addingTimeInterval(90)) == Fixture.t0.addingTimeInterval(90))
        #expect(owners.lookBackStart(startedAt: started, tenantSince: Fixture.t0.addingTimeInterval(50)) == Fixture.t0.addingTimeInterval(80))
    }

    @Test("a workload that joined the capture's tenant after the capture started looks back to its joining, not to the start")
    func aWorkloadThatJoinedAfterTheStartLooksBackNoFurtherThanItsJoining() {
        let started = Fixture.t0.addingTimeInterval(100)
        #expect(Self.lookingBack(20, entitledSince: Fixture.t0).lookBackStart(startedAt: started, tenantSince: Fixture.t0.addingTimeInterval(130))
            == Fixture.t0.addingTimeInterval(130))
    }

    @Test("an admin's look-back of a workload is not bounded by its tenancy")
    func anAdminsLookBackIsNotBoundedByTheWorkloadsTenancy() {
        let started = Fixture.t0.addingTimeInterval(100)
        #expect(Self.lookingBack(20, entitledSince: nil).lookBackStart(startedAt: started, tenantSince: Fixture.t0.addingTimeInterval(90))
            == Fixture.t0.addingTimeInterval(80))
    }

    @Test("a capture without --before has no look-back")
    func noLookBackWithoutBefore() {
        #expect(CaptureNarrowing(mode: .stream).lookBackStart(startedAt: Fixture.t0) == nil)
    }

    @Test("a request becomes the narrowing its tap carries; blank parts are dropped")
    func narrowing() throws {
        let request = CaptureRequest(selector: Fixture.selector("app=web"), interface: "eth0", snaplen: 256, bpf: "  tcp port 443 ",
                                     count: 100, byteLimit: 1 << 20)
        #expect(try request.narrowing() == CaptureNarrowing(mode: .stream, selector: Fixture.selector("app=web"), interface: "eth0",
                                                             snaplen: 256, bpf: "tcp port 443", packetLimit: 100, byteLimit: 1 << 20))
        #expect(try CaptureRequest(snaplen: 0, bpf: " ", store: true).narrowing() == CaptureNarrowing(mode: .store))
    }

    @Test("out-of-range values are invalid_argument naming the field", arguments: [
        (CaptureRequest(snaplen: 300_000), "snaplen"), (CaptureRequest(snaplen: -1), "snaplen"), (CaptureRequest(count: 0), "count"),
        (CaptureRequest(byteLimit: 0), "byte_limit"), (CaptureRequest(interface: "eth 0"), "interface"),
        (CaptureRequest(filter: "Not A Name"), "filter"),
    ])
    func invalid(request: CaptureRequest, field: String) {
        let error = #expect(throws: TapsterError.self) { try request.narrowing() }
        #expect(error?.field == field && error?.code == .invalidArgument)
    }

    @Test("the expression is the filter's AND the capture's")
    func expression() {
        let narrowing = CaptureNarrowing(mode: .stream, bpf: "tcp port 443")
        #expect(narrowing.expression(narrowing: "(tcp port 5432)") == "((tcp port 5432)) and (tcp port 443)")
        #expect(narrowing.expression(narrowing: nil) == "tcp port 443")
        #expect(CaptureNarrowing(mode: .stream).expression(narrowing: "udp") == "udp")
        #expect(CaptureNarrowing(mode: .stream).expression(narrowing: nil) == nil)
    }

    @Test("the snaplen is at most the target's payload")
    func snaplen() {
        #expect(CaptureNarrowing(mode: .stream, snaplen: 256).effectiveSnaplen(under: .headers(snaplen: 128)) == 128)
        #expect(CaptureNarrowing(mode: .stream, snaplen: 96).effectiveSnaplen(under: .headers(snaplen: 128)) == 96)
        #expect(CaptureNarrowing(mode: .stream).effectiveSnaplen(under: .full) == 262_144)
    }

    @Test("a workload stays selected when its labels match and it has the interface")
    func selects() {
        let web = WorkloadSpec(name: "web-1", kind: .netns, host: "node-1", labels: ["app": "web", "tier": "front"],
                               interfaces: [WorkloadInterface(name: "eth0")])
        #expect(CaptureNarrowing(mode: .stream, selector: Fixture.selector("tier=front"), interface: "eth0").selects(web))
        #expect(!CaptureNarrowing(mode: .stream, selector: Fixture.selector("tier=back")).selects(web))
        #expect(!CaptureNarrowing(mode: .stream, interface: "eth1").selects(web))
        #expect(CaptureNarrowing(mode: .stream).includes(interface: "lo") && !CaptureNarrowing(mode: .stream, interface: "eth0").includes(interface: "lo"))
    }

    @Test("a tap without a capture keeps its JSON shape; one with a capture carries it under `capture`")
    func tapJSON() throws {
        let tap = Tap(id: "t", tenant: nil, owner: "alice", filter: "f", target: "t", duration: Fixture.duration("1m"), createdAt: Fixture.t0)
        let plain = String(decoding: try TapsterJSON.encoder().encode(tap), as: UTF8.self)
        #expect(!plain.contains("capture"))
        var capturing = tap
        capturing.capture = CaptureNarrowing(mode: .stream, interface: "eth0", packetLimit: 5)
        let data = try TapsterJSON.encoder().encode(capturing)
        #expect(String(decoding: data, as: UTF8.self).contains("\"capture\":{"))
        #expect(try TapsterJSON.decoder().decode(Tap.self, from: data) == capturing)
    }
}

@Suite("ByteCount")
struct ByteCountTests {
    @Test("binary and decimal units, and bare bytes", arguments: [
        ("8MiB", UInt64(8 << 20)), ("8mib", 8 << 20), ("512KiB", 512 << 10), ("1GiB", 1 << 30), ("10MB", 10_000_000), ("500kB", 500_000),
        ("4096", 4096), ("64k", 64 << 10),
    ])
    func parses(text: String, bytes: UInt64) throws {
        #expect(try ByteCount(parsing: text, field: "size").bytes == bytes)
    }

    @Test("nonsense is invalid_argument naming the field", arguments: ["", "MiB", "8 MiB", "8XB", "-1", "99999999999999999999"])
    func refuses(text: String) {
        let error = #expect(throws: TapsterError.self) { try ByteCount(parsing: text, field: "capture-buffer") }
        #expect(error?.field == "capture-buffer")
    }

    @Test("it prints in the largest whole binary unit")
    func description() {
        #expect(ByteCount(bytes: 8 << 20).description == "8MiB")
        #expect(ByteCount(bytes: 1500).description == "1500B")
    }
}
