import Hummingbird
import NIOCore
import TapsterCore

/// The request context of every Tapster route: Hummingbird's core storage plus who is calling.
public struct TapsterRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``TokenAuthenticator`` for authenticated requests.
    public var principal: Principal?
    /// The remote address, for audit of logins.
    public var remoteAddress: String
    /// Completes when the client's connection closes: how a long response (a live capture) learns
    /// that its reader went away while it has nothing to write.
    public var connectionClosed: EventLoopFuture<Void>

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "-"
        connectionClosed = source.channel.closeFuture
    }

    /// The authenticated principal, or `unauthenticated`.
    public func requirePrincipal() throws(TapsterError) -> Principal {
        guard let principal else { throw TapsterError(.unauthenticated, "send an API token: Authorization: Bearer <token> (Neutron clients: X-Auth-Token: <token>)") }
        return principal
    }

    /// Request bodies are small JSON documents.
    public var maxUploadSize: Int { 1 << 20 }
}
