import Hummingbird
import TapsterCore

/// `/agent-tokens` (join tokens), `/agents/{ref}/revoke`, `DELETE /agents/{ref}`: enrolling and
/// expelling hosts' agents.
struct AgentRoutes {
    let controlPlane: ControlPlane

    func register(on api: RouterGroup<TapsterRequestContext>) {
        let cp = controlPlane
        api.list("agent-tokens") { _, _, p in try await cp.listAgentTokens(p) }
        api.endpoint(.post, "agent-tokens", status: .created) { request, context, p in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            return try await cp.createAgentToken(p, try JSONCoding.decode(AgentTokenRequest.self, from: .init(body.readableBytesView)))
        }
        api.endpoint(.post, "agents/{ref}/revoke") { _, context, p in try await cp.revokeAgent(p, try context.parameter("ref")) }
        api.noContent(.delete, "agents/{ref}") { _, context, p in try await cp.deleteAgent(p, try context.parameter("ref")) }
    }
}

/// `/metrics`: the Prometheus exposition, for scrapers with an admin's or auditor's API token
/// (`Authorization: Bearer`; Prometheus: `authorization: {credentials_file: …}`): it names taps and hosts.
struct MetricsRoutes {
    let controlPlane: ControlPlane

    func register(on router: Router<TapsterRequestContext>) {
        let cp = controlPlane
        router.get("metrics") { _, context in
            Response(status: .ok, headers: [.contentType: MetricsExposition.contentType],
                     body: .init(byteBuffer: ByteBuffer(string: try await cp.metrics(try context.requirePrincipal()))))
        }
    }
}
