import Hummingbird
import TapsterCore

/// The request context of every Tapster route: Hummingbird's core storage plus who is calling.
public struct TapsterRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``TokenAuthenticator`` for authenticated requests.
    public var principal: Principal?
    /// The remote address, for audit of logins.
    public var remoteAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "-"
    }

    /// The authenticated principal, or `unauthenticated`.
    public func requirePrincipal() throws(TapsterError) -> Principal {
        guard let principal else { throw TapsterError(.unauthenticated, "send an API token: Authorization: Bearer <token> (Neutron clients: X-Auth-Token: <token>)") }
        return principal
    }

    /// Request bodies are small JSON documents.
    public var maxUploadSize: Int { 1 << 20 }
}
