import Foundation
import TapsterCore

/// Who this `tapster serve` process is among the replicas sharing one PostgreSQL database: its name
/// (unique among them; it is recorded on the agents and captures it holds, in the `replicas` registry,
/// on the change-feed notifications it sends and in its metrics) and the address agents reach its agent
/// channel at (so that a plan can send an agent's packets to the replica that owns a capture).
public struct ReplicaIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The replica's name (`--replica-name`; default `hostname:port`, the API port).
    public let name: String
    /// `HOST:PORT` agents connect to for this replica's agent channel (`--agent-advertise-address`).
    public let agentAddress: String

    /// Rejects an empty name and an address that is not `HOST:PORT` (errors name the flag).
    public init(name: String, agentAddress: String) throws(TapsterError) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.count <= 200 else {
            throw TapsterError.invalid("replica-name", "a replica's name is 1 to 200 characters")
        }
        // A port of 0 stands for "the port the agent channel will get" until it listens.
        _ = try ServerConfiguration.parseListen(agentAddress, field: "agent-advertise-address")
        self.name = trimmed
        self.agentAddress = agentAddress
    }

    public var description: String { "\(name) (agents at \(agentAddress))" }

    /// The machine's host name (first label, lower case), for the default name and address.
    static var hostName: String {
        ProcessInfo.processInfo.hostName.split(separator: ".").first.map { String($0).lowercased() } ?? "localhost"
    }
}

extension ServerConfiguration {
    /// This replica's identity: ``replicaName`` and ``agentAdvertiseAddress`` when given, otherwise
    /// `hostname:port` and the agent channel's listen address (the host name with its port when it
    /// listens on every address). A port of 0 is resolved only when the channel listens, so give
    /// explicit ports (or both flags) to replicas that share a database.
    public var replicaIdentity: ReplicaIdentity {
        get throws(TapsterError) {
            let hostName = ReplicaIdentity.hostName
            let name = replicaName ?? "\(hostName):\(port)"
            let address = agentAdvertiseAddress ?? agentChannel.advertised(port: agentChannel.port, hostName: hostName)
            return try ReplicaIdentity(name: name, agentAddress: address)
        }
    }
}
