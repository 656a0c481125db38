import Hummingbird
import TapsterCore

/// `/agent-tokens` (join tokens), `/agents/{ref}/revoke`, `DELETE /agents/{ref}`: enrolling and
/// expelling hosts' agents.
struct AgentRoutes {
    let controlPlane: ControlPlane

    func register(on api: RouterGroup<TapsterRequestContext>) {
        let cp = controlPlane
        api.endpoint(.get, "agent-tokens") { _, _, p in ItemList(items: try await cp.listAgentTokens(p)) }
        api.endpoint(.post, "agent-tokens", status: .created) { request, context, p in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            let tokenRequest = body.readableBytes == 0
                ? AgentTokenRequest()
                : try JSONCoding.decode(AgentTokenRequest.self, from: .init(body.readableBytesView))
            return try await cp.createAgentToken(p, tokenRequest)
        }
        api.endpoint(.post, "agents/{ref}/revoke") { _, context, p in try await cp.revokeAgent(p, try context.parameter("ref")) }
        api.noContent(.delete, "agents/{ref}") { _, context, p in try await cp.deleteAgent(p, try context.parameter("ref")) }
    }
}

/// `/metrics`: the Prometheus exposition, without a token (like `/healthz`), for scrapers.
struct MetricsRoutes {
    let controlPlane: ControlPlane

    func register(on router: Router<TapsterRequestContext>) {
        let cp = controlPlane
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: MetricsExposition.contentType],
                     body: .init(byteBuffer: ByteBuffer(string: try await cp.metrics())))
        }
    }
}
