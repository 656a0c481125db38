import Foundation
import GRPCCore
import TapsterCore
@testable import TapsterServer
import TapsterTestSupport
import TapsterWire
import Testing

/// At shutdown the hub closes every agent stream, also one whose RPC was accepted just before and attaches after:
/// any stream left open keeps the gRPC server's graceful shutdown waiting (here: the test, until its time limit). On
/// a store of their own, not a test server's: waiting for a server slot under the full suite took longer than a limit.
@Suite(.timeLimit(.minutes(3))) struct AgentHubShutdownTests {
    static let shutdown = RPCError(code: .unavailable, message: "the server is shutting down")

    @Test func uploadsOpenAtTheShutdownAndAttachedAfterItAreClosed() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let hub = AgentHub(store: database.store, clock: { Date() }, logger: TestServer.logger)
            let open = await hub.attachUpload("node-1")
            await hub.closeAll(with: Self.shutdown)
            let late = await hub.attachUpload("node-2")

            for stream in [open.closed, late.closed] {
                await #expect(throws: RPCError.self) { for try await _ in stream {} }
            }
        }
    }

    @Test func aControlChannelAttachedAfterTheShutdownIsClosed() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let hub = AgentHub(store: database.store, clock: { Date() }, logger: TestServer.logger)
            await hub.closeAll(with: Self.shutdown)
            let (outbound, continuation) = AsyncThrowingStream.makeStream(of: DesiredTapSet.self)
            _ = await hub.attach("node-1", outbound: continuation)

            await #expect(throws: RPCError.self) { for try await _ in outbound {} }
        }
    }
}
