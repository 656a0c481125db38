import Foundation
import HTTPTypes
import Testing
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterTestSupport

/// Owners' expressions never make libpcap look names up (DNS and other NSS look-ups: blocking, and an
/// oracle); admins' may.
@Suite struct OwnerBPFTests {
    @Test(arguments: StoreKind.available)
    func anOwnersCaptureExpressionWithANameIsInvalidBPFBeforeLibpcapSeesIt(kind: StoreKind) async throws {
        try await CaptureAPITests.Rig.run(kind) { rig in
            for (expression, name) in [("host example.com", "example.com"), ("tcp and port http", "http")] {
                let (status, error) = try await rig.api.failure(.post, "/api/v1/captures", token: rig.fixture.alice,
                                                                json: CaptureRequest(bpf: expression))
                #expect(status == 400)
                #expect(error.code == .invalidBPF)
                #expect(error.field == "bpf")
                // Our refusal, not libpcap's `unknown host` or `unknown port`: pcap_compile never ran.
                #expect(error.message.hasPrefix("bpf: '\(name)' would be looked up as a name"), "\(error.message)")
            }
            #expect(try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: rig.fixture.alice).items.isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func anOwnersNumericExpressionIsAccepted(kind: StoreKind) async throws {
        try await CaptureAPITests.Rig.run(kind) { rig in
            let view = try await rig.create(CaptureRequest(bpf: "host 10.0.0.1 and tcp port 80", duration: TapDuration(seconds: 60)))
            #expect(try await rig.capture(view.capture.id).owner == "alice")
        }
    }

    @Test(arguments: StoreKind.available)
    func anAdminsFilterMayUseNames(kind: StoreKind) async throws {
        try await CaptureAPITests.Rig.run(kind) { rig in
            let reply = try await rig.api.call(.post, "/api/v1/filters", token: rig.fixture.admin, json: FilterSpec(
                name: "to-localhost", tenant: "shop", selector: try LabelSelector(parsing: "app=web"), bpf: "host localhost"))
            #expect(reply.status == 201, "\(reply.text)")
        }
    }
}
