import Foundation
import Testing
import TapsterCore

@Suite("TargetSpec.validated()")
struct TargetSpecTests {
    static let tool = Fixture.ip("192.0.2.10")
    static let portID = "6f1c3a52-8a4e-4a57-9d55-0c1b8f1e2a3d"

    static func erspan(version: Int? = nil, session: Int? = 7) -> TargetSpec {
        TargetSpec(name: "ids", kind: .erspan, destination: tool, erspanVersion: version, sessionId: session)
    }

    static func vxlan(vni: Int? = 5000, udpPort: Int? = nil) -> TargetSpec {
        TargetSpec(name: "nvf", kind: .vxlan, destination: tool, vni: vni, udpPort: udpPort)
    }

    // MARK: Defaults

    @Test("an ERSPAN target defaults to version 2 (type II) and full payload")
    func erspanDefaults() throws {
        let v = try Self.erspan().validated()
        var expected = Self.erspan()
        expected.erspanVersion = 2
        expected.payload = .full
        #expect(v == expected)
    }

    @Test("an ERSPAN target keeps version 3 (type III)")
    func erspanVersion3() throws {
        #expect(try Self.erspan(version: 3).validated().erspanVersion == 3)
    }

    @Test("a VXLAN target defaults to UDP port 4789")
    func vxlanDefaultPort() throws {
        let v = try Self.vxlan().validated()
        #expect(v.udpPort == 4789)
        #expect(TargetSpec.defaultVXLANPort == 4789)
        #expect(v.vni == 5000)
        #expect(v.payload == .full)
    }

    @Test("a VXLAN target keeps a chosen UDP port")
    func vxlanChosenPort() throws {
        #expect(try Self.vxlan(udpPort: 8472).validated().udpPort == 8472)
    }

    @Test("a store target defaults to 7 days of retention")
    func storeDefaultRetention() throws {
        let v = try TargetSpec(name: "archive", kind: .store).validated()
        #expect(v.retention == TapDuration(seconds: 7 * 86_400))
        #expect(TargetSpec.defaultRetention.description == "7d")
    }

    @Test("a store target keeps a chosen retention")
    func storeChosenRetention() throws {
        #expect(try TargetSpec(name: "archive", kind: .store, retention: Fixture.duration("30d")).validated().retention == Fixture.duration("30d"))
    }

    @Test("payload defaults to full for every kind, and a chosen payload is kept")
    func payloadDefault() throws {
        #expect(try TargetSpec(name: "live", kind: .stream).validated().payload == .full)
        #expect(TargetSpec(name: "live", kind: .stream).effectivePayload == .full)
        let headers = try TargetSpec(name: "live", kind: .stream, payload: .headers(snaplen: 128)).validated()
        #expect(headers.payload == .headers(snaplen: 128))
    }

    @Test("a stream target needs nothing but a name")
    func streamMinimal() throws {
        let v = try TargetSpec(name: "live", kind: .stream).validated()
        #expect(v == TargetSpec(name: "live", kind: .stream, payload: .full))
    }

    @Test("a GRE target takes a destination and an optional key")
    func gre() throws {
        let v = try TargetSpec(name: "teb", kind: .gre, destination: Self.tool, greKey: 42).validated()
        #expect(v == TargetSpec(name: "teb", kind: .gre, destination: Self.tool, greKey: 42, payload: .full))
    }

    @Test("a port target takes the id of the interface it delivers into")
    func port() throws {
        let v = try TargetSpec(name: "mon", kind: .port, portId: Self.portID).validated()
        #expect(v == TargetSpec(name: "mon", kind: .port, portId: Self.portID, payload: .full))
    }

    @Test("validation is idempotent", arguments: [
        TargetSpecTests.erspan(), TargetSpecTests.vxlan(), TargetSpec(name: "archive", kind: .store),
        TargetSpec(name: "mon", kind: .port, portId: TargetSpecTests.portID),
    ])
    func idempotent(spec: TargetSpec) throws {
        let once = try spec.validated()
        #expect(try once.validated() == once)
    }

    @Test("tunnel kinds are erspan, vxlan and gre")
    func tunnelKinds() {
        #expect(TargetKind.allCases.filter(\.isTunnel) == [.erspan, .vxlan, .gre])
    }

    // MARK: ERSPAN

    @Test("ERSPAN accepts session ids 1 and 1023", arguments: [1, 1023])
    func erspanSessionBounds(session: Int) throws {
        #expect(try Self.erspan(session: session).validated().sessionId == session)
    }

    @Test("ERSPAN rejects session ids outside 1–1023", arguments: [0, 1024, -1])
    func erspanSessionOutOfRange(session: Int) {
        #expect(throws: TapsterError.invalid("session_id", "\(session) is outside 1–1023")) { try Self.erspan(session: session).validated() }
    }

    @Test("ERSPAN requires a session id")
    func erspanSessionRequired() {
        #expect(throws: TapsterError.invalid("session_id", "is required for an erspan target")) { try Self.erspan(session: nil).validated() }
    }

    @Test("ERSPAN rejects versions other than 2 and 3", arguments: [1, 4, 0])
    func erspanVersionInvalid(version: Int) {
        #expect(throws: TapsterError.invalid("erspan_version", "\(version) is not 2 (type II) or 3 (type III)")) {
            try Self.erspan(version: version).validated()
        }
    }

    // MARK: VXLAN

    @Test("VXLAN accepts VNIs 0 and 16777215", arguments: [0, 16_777_215])
    func vxlanVNIBounds(vni: Int) throws {
        #expect(try Self.vxlan(vni: vni).validated().vni == vni)
    }

    @Test("VXLAN rejects VNIs outside 0–16777215", arguments: [16_777_216, -1])
    func vxlanVNIOutOfRange(vni: Int) {
        #expect(throws: TapsterError.invalid("vni", "\(vni) is outside 0–16777215")) { try Self.vxlan(vni: vni).validated() }
    }

    @Test("VXLAN requires a VNI")
    func vxlanVNIRequired() {
        #expect(throws: TapsterError.invalid("vni", "is required for a vxlan target")) { try Self.vxlan(vni: nil).validated() }
    }

    @Test("VXLAN rejects UDP ports outside 1–65535", arguments: [0, 65_536])
    func vxlanPortOutOfRange(port: Int) {
        #expect(throws: TapsterError.invalid("udp_port", "\(port) is outside 1–65535")) { try Self.vxlan(udpPort: port).validated() }
    }

    // MARK: Required and forbidden fields

    @Test("tunnel kinds require a destination", arguments: [
        (TargetSpec(name: "t", kind: .erspan, sessionId: 1), "is required for an erspan target"),
        (TargetSpec(name: "t", kind: .vxlan, vni: 1), "is required for a vxlan target"),
        (TargetSpec(name: "t", kind: .gre), "is required for a gre target"),
    ])
    func destinationRequired(spec: TargetSpec, message: String) {
        #expect(throws: TapsterError.invalid("destination", message)) { try spec.validated() }
    }

    @Test("port targets require a port id")
    func portIdRequired() {
        #expect(throws: TapsterError.invalid("port_id", "is required for a port target")) {
            try TargetSpec(name: "mon", kind: .port).validated()
        }
    }

    @Test("a port id must be an interface id (UUID)", arguments: ["eth0", "", "6f1c3a52"])
    func portIdMustBeIdentifier(portId: String) {
        #expect(throws: TapsterError.invalid("port_id", "\"\(portId)\" is not a port (interface) id")) {
            try TargetSpec(name: "mon", kind: .port, portId: portId).validated()
        }
    }

    @Test("fields that do not belong to the kind are rejected", arguments: [
        (TargetSpec(name: "t", kind: .stream, destination: TargetSpecTests.tool), "destination", "is not allowed for a stream target"),
        (TargetSpec(name: "t", kind: .store, destination: TargetSpecTests.tool), "destination", "is not allowed for a store target"),
        (TargetSpec(name: "t", kind: .port, destination: TargetSpecTests.tool, portId: TargetSpecTests.portID), "destination", "is not allowed for a port target"),
        (TargetSpec(name: "t", kind: .vxlan, destination: TargetSpecTests.tool, erspanVersion: 2, vni: 1), "erspan_version", "is not allowed for a vxlan target"),
        (TargetSpec(name: "t", kind: .gre, destination: TargetSpecTests.tool, sessionId: 1), "session_id", "is not allowed for a gre target"),
        (TargetSpec(name: "t", kind: .stream, sessionId: 1), "session_id", "is not allowed for a stream target"),
        (TargetSpec(name: "t", kind: .erspan, destination: TargetSpecTests.tool, sessionId: 1, vni: 1), "vni", "is not allowed for an erspan target"),
        (TargetSpec(name: "t", kind: .gre, destination: TargetSpecTests.tool, udpPort: 4789), "udp_port", "is not allowed for a gre target"),
        (TargetSpec(name: "t", kind: .erspan, destination: TargetSpecTests.tool, sessionId: 1, greKey: 1), "gre_key", "is not allowed for an erspan target"),
        (TargetSpec(name: "t", kind: .vxlan, destination: TargetSpecTests.tool, vni: 1, greKey: 1), "gre_key", "is not allowed for a vxlan target"),
        (TargetSpec(name: "t", kind: .store, greKey: 1), "gre_key", "is not allowed for a store target"),
        (TargetSpec(name: "t", kind: .stream, portId: TargetSpecTests.portID), "port_id", "is not allowed for a stream target"),
        (TargetSpec(name: "t", kind: .gre, destination: TargetSpecTests.tool, portId: TargetSpecTests.portID), "port_id", "is not allowed for a gre target"),
        (TargetSpec(name: "t", kind: .stream, retention: Fixture.duration("1d")), "retention", "is not allowed for a stream target"),
        (TargetSpec(name: "t", kind: .erspan, destination: TargetSpecTests.tool, sessionId: 1, retention: Fixture.duration("1d")), "retention", "is not allowed for an erspan target"),
    ])
    func forbiddenFields(spec: TargetSpec, field: String, message: String) {
        #expect(throws: TapsterError.invalid(field, message)) { try spec.validated() }
    }

    // MARK: Common fields

    @Test("the name must be a resource name")
    func nameValidated() {
        #expect(throws: TapsterError.invalid("name", "\"IDS\" must be lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit")) {
            try TargetSpec(name: "IDS", kind: .stream).validated()
        }
    }

    @Test("the tenant must be a resource name")
    func tenantValidated() {
        #expect(throws: TapsterError.invalid("tenant", "must not be empty")) {
            try TargetSpec(name: "ids", tenant: "", kind: .stream).validated()
        }
    }

    @Test("the description is at most 1024 characters without control characters")
    func descriptionValidated() throws {
        #expect(try TargetSpec(name: "t", description: String(repeating: "d", count: 1024), kind: .stream).validated().description?.count == 1024)
        #expect(try TargetSpec(name: "t", description: "line 1\n\tline 2", kind: .stream).validated().description == "line 1\n\tline 2")
        #expect(throws: TapsterError.invalid("description", "is longer than 1024 characters")) {
            try TargetSpec(name: "t", description: String(repeating: "d", count: 1025), kind: .stream).validated()
        }
        #expect(throws: TapsterError.invalid("description", "contains control characters")) {
            try TargetSpec(name: "t", description: "bell\u{7}", kind: .stream).validated()
        }
    }
}
