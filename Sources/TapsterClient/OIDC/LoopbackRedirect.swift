import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import TapsterCore

/// Where a terminal sign-in's browser comes back to (RFC 8252 §7.3): an HTTP listener on `127.0.0.1` and a port
/// the system chooses, that takes the one redirect to `/callback`, answers the browser a short page, and
/// hands the redirect's query to the CLI. Nothing but loopback can reach it.
final class LoopbackRedirect: Sendable {
    private let channel: any Channel
    private let received: EventLoopPromise<[URLQueryItem]>

    /// `http://127.0.0.1:PORT/callback`.
    let redirectURI: String

    private init(channel: any Channel, received: EventLoopPromise<[URLQueryItem]>) {
        self.channel = channel
        self.received = received
        self.redirectURI = "http://127.0.0.1:\(channel.localAddress?.port ?? 0)/callback"
    }

    /// Starts listening for the redirect that carries `state`; other requests (another sign-in, a page probing
    /// local ports) are answered 400 and ignored.
    static func listen(state: String) async throws -> LoopbackRedirect {
        let group = MultiThreadedEventLoopGroup.singleton
        let received = group.next().makePromise(of: [URLQueryItem].self)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(CallbackHandler(received: received, state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return LoopbackRedirect(channel: channel, received: received)
    }

    /// The redirect's query parameters, once the browser came back (or a timeout error).
    func query(timeout: Duration) async throws -> [URLQueryItem] {
        let received = self.received
        let scheduled = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)) {
            received.fail(TapsterError(.unauthenticated, "the browser did not come back within \(timeout.components.seconds) s; run the login again"))
        }
        defer { scheduled.cancel() }
        return try await received.futureResult.get()
    }

    func close() async {
        try? await channel.close()
    }

    /// Answers `/callback` with this sign-in's state once and completes the promise with its query; anything else is 400.
    private final class CallbackHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let received: EventLoopPromise<[URLQueryItem]>
        let state: String

        init(received: EventLoopPromise<[URLQueryItem]>, state: String) {
            self.received = received
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .head(let head) = unwrapInboundIn(data) else { return }
            let components = URLComponents(string: head.uri)
            let isCallback = components?.path == "/callback" && components?.queryItems?.first(where: { $0.name == "state" })?.value == state
            let page = isCallback
                ? "<!doctype html><title>Tapster</title><p>Signed in to Tapster. You can close this window and return to the terminal.</p>"
                : "not this sign-in"
            var headers = HTTPHeaders([("Content-Type", "text/html; charset=utf-8"), ("Connection", "close"),
                                       ("Content-Length", String(page.utf8.count))])
            headers.add(name: "Cache-Control", value: "no-store")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: isCallback ? .ok : .badRequest, headers: headers))),
                          promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: page)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
            if isCallback { received.succeed(components?.queryItems ?? []) }
        }
    }
}
