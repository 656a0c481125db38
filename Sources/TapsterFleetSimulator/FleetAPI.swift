import Foundation
import TapsterClient
import TapsterAPI
import TapsterCore

/// What a fleet run asks of the server's API, as its admin: the filter and target of the measured taps,
/// a join token per simulated agent, and the taps themselves.
public struct FleetAPI: Sendable {
    /// The filter every measured tap uses: `app=web`, one workload on each simulated host.
    public static let filter = "fleet-web"
    /// The target every measured tap uses: ERSPAN II to a documentation address (nothing is captured).
    public static let target = "fleet-tool"

    let api: APIClient

    /// - Parameter api: a client with an admin's token.
    public init(api: APIClient) {
        self.api = api
    }

    /// Creates ``filter`` and ``target``.
    public func createFilterAndTarget() async throws {
        let filter = FilterSpec(name: Self.filter, selector: try LabelSelector(parsing: SimulatedHost.webSelector))
        _ = try await api.post("/api/v1/filters", body: filter, as: Created.self)
        let target = TargetSpec(name: Self.target, kind: .erspan, destination: try IPAddress(parsing: "192.0.2.1"), sessionId: 7)
        _ = try await api.post("/api/v1/targets", body: target, as: Created.self)
    }

    /// A new join token for agent `name` (valid for a day: enrolling thousands takes a while).
    public func joinToken(for name: String) async throws -> String {
        try await api.post("/api/v1/agent-tokens", body: AgentTokenRequest(agent: name, ttl: TapDuration(seconds: 86_400)),
                           as: IssuedAgentToken.self).value.token
    }

    /// Opens a tap of ``filter`` into ``target`` for `duration`; returns it.
    public func createTap(for duration: TapDuration = TapDuration(seconds: 3_600)) async throws -> Tap {
        try await api.post("/api/v1/taps", body: TapRequest(filter: Self.filter, target: Self.target, duration: duration),
                           as: Tap.self).value
    }

    /// What is read of a created object.
    private struct Created: Decodable, Sendable {
        var id: String
    }

    /// Stops tap `id`.
    public func stopTap(_ id: String) async throws {
        _ = try await api.post("/api/v1/taps/\(id)/stop", as: Tap.self)
    }
}
