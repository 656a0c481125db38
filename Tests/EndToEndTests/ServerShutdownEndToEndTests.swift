import Foundation
import TapsterAPI
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// A server that is stopped goes, whatever its agents are sending it.
@Suite("Server shutdown end to end", .serialized, .timeLimit(.minutes(3)))
struct ServerShutdownEndToEndTests {
    @Test("A server stopped (SIGTERM) while an agent uploads a stored capture's packets exits at once: the upload does not hold it until the capture's deadline")
    func aServerStoppedDuringAnUploadExits() async throws {
        try await DataPlaneLab.with(roles: ["web", "peer"], hosts: [["web", "peer"]]) { lab in
            try await lab.admin(["target", "create", "archive", "--kind", "store"])
            try await lab.admin(["filter", "create", "web", "--selector", "app=web"])
            try await lab.grant(filter: "web", target: "archive")
            let tap = try await lab.createTap(filter: "web", target: "archive", duration: "10m")
            try await lab.waitForTap(tap, state: .applied)
            let markers = try UDPTraffic.startMarkers(from: lab.topology["peer"], to: lab.topology["web"], topology: lab.topology,
                                                      directory: lab.scratch)
            defer { markers.stop() }
            // Packets on the record: the agent's upload stream is open.
            try await eventually(timeout: .seconds(30), "the stored capture to hold packets") { () -> Bool? in
                let capture = try lab.decode(Capture.self, try await lab.admin(["capture", "get", tap, "-o", "json"]).stdout)
                return capture.packets > 0 ? true : nil
            }

            lab.server.terminate()

            #expect(try await lab.server.waitForExit(timeout: .seconds(20)) == 0, "\(lab.server.log)")
        }
    }
}
