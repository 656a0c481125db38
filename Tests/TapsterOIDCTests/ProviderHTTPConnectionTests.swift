import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
@testable import TapsterOIDC
import Testing

/// An HTTP/1.1 server on loopback that keeps connections alive, answers `{}` and counts the connections it accepted.
final class KeepAliveServer: Sendable {
    /// How many connections it accepted.
    var accepted: Int { connections.count.load(ordering: .relaxed) }
    private let connections = Connections()
    private let channel: any Channel

    private final class Connections: Sendable {
        let count = Atomic<Int>(0)
    }

    init() async throws {
        let connections = self.connections
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                connections.count.add(1, ordering: .relaxed)
                return channel.pipeline.configureHTTPServerPipeline().flatMapThrowing {
                    try channel.pipeline.syncOperations.addHandler(Answer())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    var url: String { "http://127.0.0.1:\(channel.localAddress?.port ?? 0)/" }

    func close() async { try? await channel.close() }

    final class Answer: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            let head = HTTPResponseHead(version: .http1_1, status: .ok,
                                        headers: ["Content-Type": "application/json", "Content-Length": "2"])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "{}")))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}

/// Calls to identity providers never go out on a connection the provider may be closing: one idle for
/// ``ProviderHTTP/idleTimeout`` is given up, and the next call opens its own.
@Suite struct ProviderHTTPConnectionTests {
    /// The control: the server keeps its connections, and a client that keeps them too (`HTTPClient.shared`, 600 s)
    /// makes both calls on one — so two connections below are the provider client's doing.
    @Test func aClientKeepingConnectionsReusesTheServersAfterTheSamePause() async throws {
        let server = try await KeepAliveServer()
        let http = ProviderHTTP(client: .shared)

        #expect(try await http.get(server.url).status == 200)
        try await Task.sleep(for: .milliseconds(2_500))
        #expect(try await http.get(server.url).status == 200)
        #expect(server.accepted == 1)
        await server.close()
    }

    /// The idle time is what is tested: the second call comes 1.5 s after the connection was given up (a margin
    /// for an event loop slow to run its idle timer on a loaded machine).
    @Test func aConnectionIdleForLongerThanTheTimeoutIsNotReused() async throws {
        let server = try await KeepAliveServer()
        let http = ProviderHTTP.shared

        #expect(try await http.get(server.url).status == 200)
        try await Task.sleep(for: .milliseconds(2_500))
        #expect(try await http.get(server.url).status == 200)
        #expect(server.accepted == 2)
        await server.close()
    }
}
