import Foundation
import SQLKit
import TapsterCore

/// One `tapster serve` process sharing the database, as it registered itself (see `replicas`).
public struct ReplicaRegistration: Sendable, Equatable {
    public var name: String
    /// `HOST:PORT` agents reach its agent channel at.
    public var agentAddress: String
    public var startedAt: Date
    /// When it last said it is alive; a replica whose heartbeat is old is dead.
    public var heartbeatAt: Date

    public init(name: String, agentAddress: String, startedAt: Date, heartbeatAt: Date) {
        self.name = name
        self.agentAddress = agentAddress
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
    }
}

/// The replicas registry, and which replica holds each agent's control channel.
extension SQLSession {
    func registerReplica(_ replica: ReplicaRegistration) async throws {
        try await perform("register replica") {
            try await execute("""
                INSERT INTO replicas (name, agent_address, started_at_ms, heartbeat_at_ms)
                VALUES (\(bind: replica.name), \(bind: replica.agentAddress), \(bind: replica.startedAt.millisecondsSince1970),
                        \(bind: replica.heartbeatAt.millisecondsSince1970))
                ON CONFLICT (name) DO UPDATE SET agent_address = excluded.agent_address,
                    started_at_ms = excluded.started_at_ms, heartbeat_at_ms = excluded.heartbeat_at_ms
                """)
        }
    }

    func heartbeatReplica(named name: String, at time: Date) async throws -> Bool {
        try await perform("heartbeat replica") {
            try await row("""
                UPDATE replicas SET heartbeat_at_ms = \(bind: time.millisecondsSince1970) WHERE name = \(bind: name) RETURNING name
                """) != nil
        }
    }

    func listReplicas() async throws -> [ReplicaRegistration] {
        try await perform("list replicas") {
            try await rows("SELECT name, agent_address, started_at_ms, heartbeat_at_ms FROM replicas ORDER BY \(dialect.byteOrder("name"))")
                .map { row in
                    ReplicaRegistration(name: try row.text("name"), agentAddress: try row.text("agent_address"),
                                        startedAt: Date(millisecondsSince1970: try row.integer("started_at_ms")),
                                        heartbeatAt: Date(millisecondsSince1970: try row.integer("heartbeat_at_ms")))
                }
        }
    }

    func removeReplica(named name: String, heartbeatBefore: Date?) async throws -> Bool {
        try await perform("remove replica") {
            if let heartbeatBefore {
                return try await row("""
                    DELETE FROM replicas WHERE name = \(bind: name) AND heartbeat_at_ms < \(bind: heartbeatBefore.millisecondsSince1970)
                    RETURNING name
                    """) != nil
            }
            return try await row("DELETE FROM replicas WHERE name = \(bind: name) RETURNING name") != nil
        }
    }

    func setAgentReplica(named name: String, replica: String?) async throws {
        try await perform("record agent's replica") {
            try await execute("UPDATE agents SET replica = \(nullable(replica)) WHERE name = \(bind: name)")
        }
    }

    func agentReplica(named name: String) async throws -> String? {
        try await perform("read agent's replica") {
            try await row("SELECT replica FROM agents WHERE name = \(bind: name)").flatMap { try $0.optionalText("replica") }
        }
    }

    func connectedAgentNames(heldBy replica: String) async throws -> [String] {
        try await perform("list agents held by replica") {
            try await rows("""
                SELECT name FROM agents WHERE replica = \(bind: replica) AND state = \(bind: Agent.State.connected.rawValue)
                ORDER BY \(dialect.byteOrder("name"))
                """).map { try $0.text("name") }
        }
    }
}

extension SQLStore {
    public func registerReplica(_ replica: ReplicaRegistration) async throws {
        try await onConnection { try await $0.registerReplica(replica) }
    }

    public func heartbeatReplica(named name: String, at time: Date) async throws -> Bool {
        try await onConnection { try await $0.heartbeatReplica(named: name, at: time) }
    }

    public func listReplicas() async throws -> [ReplicaRegistration] {
        try await onConnection { try await $0.listReplicas() }
    }

    @discardableResult
    public func removeReplica(named name: String, heartbeatBefore: Date?) async throws -> Bool {
        try await onConnection { try await $0.removeReplica(named: name, heartbeatBefore: heartbeatBefore) }
    }

    public func setAgentReplica(named name: String, replica: String?) async throws {
        try await onConnection { try await $0.setAgentReplica(named: name, replica: replica) }
    }

    public func agentReplica(named name: String) async throws -> String? {
        try await onConnection { try await $0.agentReplica(named: name) }
    }

    public func connectedAgentNames(heldBy replica: String) async throws -> [String] {
        try await onConnection { try await $0.connectedAgentNames(heldBy: replica) }
    }

    /// Throws unless the database answers.
    public func ping() async throws {
        try await onConnection { session in try await session.perform("ping") { try await session.execute("SELECT 1") } }
    }
}
