import Hummingbird
import TapsterAPI
import TapsterCore

/// `/agent-tokens` (join tokens), `/agents/{ref}/revoke`, `DELETE /agents/{ref}`: enrolling and
/// expelling hosts' agents.
struct AgentRoutes {
    let fleet: FleetService

    func register(on api: RouterGroup<TapsterRequestContext>) {
        api.list("agent-tokens") { _, _, p in try await fleet.listAgentTokens(p) }
        api.endpoint(.post, "agent-tokens", status: .created) { request, context, p in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            return try await fleet.createAgentToken(p, try JSONCoding.decode(AgentTokenRequest.self, from: .init(body.readableBytesView)))
        }
        api.endpoint(.post, "agents/{ref}/revoke") { _, context, p in try await fleet.revokeAgent(p, try context.parameter("ref")) }
        api.noContent(.delete, "agents/{ref}") { _, context, p in try await fleet.deleteAgent(p, try context.parameter("ref")) }
    }
}

/// `/metrics`: the Prometheus exposition, for scrapers with an admin's or auditor's API token
/// (`Authorization: Bearer`; Prometheus: `authorization: {credentials_file: …}`): it names taps and hosts.
struct MetricsRoutes {
    let fleet: FleetService
    /// This replica's live captures and the memory each holds; nil: no capture series.
    var broker: CaptureBroker?
    /// This replica's own series (name, change-feed traffic), appended to the control plane's.
    var replica: ReplicaState = .standalone()

    func register(on router: Router<TapsterRequestContext>) {
        let (fleet, broker, replica) = (fleet, broker, replica)
        router.get("metrics") { _, context in
            // The fleet's series first: they refuse whoever may not read /metrics.
            let control = try await fleet.metrics(try context.requirePrincipal())
            let captures = await broker?.metricsExposition() ?? ""
            return Response(status: .ok, headers: [.contentType: MetricsExposition.contentType],
                            body: .init(byteBuffer: ByteBuffer(string: control + captures + replica.exposition())))
        }
    }
}
