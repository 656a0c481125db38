import NIOCore
import NIOSSL

extension AgentChannelTLS {
    /// Puts a ``CompactPlaintextReads`` handler right after the connection's TLS handler. For the agent channel's
    /// transport (`onAcceptTCPConnection` of its `channelDebuggingCallbacks`, which runs on the connection's event
    /// loop once gRPC has set up its pipeline); a connection without TLS is left as it is.
    public static func compactPlaintextReads(on channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            guard let tls = try? pipeline.handler(type: NIOSSLServerHandler.self) else { return }
            try pipeline.addHandler(CompactPlaintextReads(), position: .after(tls))
        }
    }
}

/// Passes on each buffer of decrypted bytes as a copy of just those bytes, in a buffer of their size.
///
/// swift-nio-ssl decrypts into one 32 KiB buffer per connection, kept for the connection's life, and passes a
/// slice of it on. swift-nio-http2's frame decoder keeps what it is given while a frame is incomplete and appends
/// the next read to it. The storage is then shared, and each side's next write into it copies all 32 KiB into a new
/// buffer (copy on write). Every idle agent connection held two such buffers, written through by the copies, and
/// about every status report (a few hundred bytes) cost a 32 KiB copy — heaptrack of the fleet benchmark
/// (Benchmarks/README.md, "The transport's 32 KB copies per message"). With a copy of the bytes themselves passed
/// on, swift-nio-ssl's buffer is never shared, so it is reused in place and only the pages its reads write are
/// resident, and the decoder accumulates in a buffer of the size it needs.
final class CompactPlaintextReads: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(wrapInboundOut(Self.compacted(unwrapInboundIn(data), allocator: context.channel.allocator)))
    }

    /// `buffer`'s readable bytes in a buffer of their own, with no spare capacity beyond what the allocator rounds to.
    static func compacted(_ buffer: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var copy = allocator.buffer(capacity: buffer.readableBytes)
        copy.writeImmutableBuffer(buffer)
        return copy
    }
}
