import Foundation
import GRPCCore
import TapsterCore
@testable import TapsterServer
import TapsterTestSupport
import TapsterWire
import Testing

/// At shutdown the hub closes every agent stream, also one whose RPC was accepted just before and attaches after:
/// any stream left open keeps the gRPC server's graceful shutdown waiting.
@Suite struct AgentHubShutdownTests {
    static let shutdown = RPCError(code: .unavailable, message: "the server is shutting down")

    /// Whether `stream` ends with an error within `timeout` — counted once the hub is set up, not as a time limit of the
    /// whole test: under the full suite, setting up its store once took longer than a three-minute limit.
    static func endsWithAnError<Element: Sendable>(_ stream: AsyncThrowingStream<Element, any Error>,
                                                   within timeout: Duration = .seconds(60)) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do { for try await _ in stream {} } catch { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    @Test func uploadsOpenAtTheShutdownAndAttachedAfterItAreClosed() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let hub = AgentHub(store: database.store, clock: { Date() }, logger: TestServer.logger)
            let open = await hub.attachUpload("node-1")
            await hub.closeAll(with: Self.shutdown)
            let late = await hub.attachUpload("node-2")

            #expect(await Self.endsWithAnError(open.closed))
            #expect(await Self.endsWithAnError(late.closed))
        }
    }

    @Test func aControlChannelAttachedAfterTheShutdownIsClosed() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let hub = AgentHub(store: database.store, clock: { Date() }, logger: TestServer.logger)
            await hub.closeAll(with: Self.shutdown)
            let (outbound, continuation) = AsyncThrowingStream.makeStream(of: DesiredTapSet.self)
            _ = await hub.attach("node-1", outbound: continuation)

            #expect(await Self.endsWithAnError(outbound))
        }
    }
}
