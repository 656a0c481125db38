import Foundation
import TapsterAPI
import TapsterCore

extension WorkloadSpec: RenderableSpec {
    public static var resourceKind: String { "workload" }
    public static var recordColumns: [Column<Workload>] {
        [
            Column("ID") { $0.id },
            // Pods as kubectl shows them: the namespace, then the pod's name in it.
            Column("NAMESPACE") { $0.kubernetesNamespace ?? "" },
            Column("NAME") { $0.nameInNamespace },
            Column("KIND") { $0.kind.rawValue },
            Column("HOST") { $0.host },
            Column("TENANT") { $0.tenant ?? "" },
            Column("LABELS") { workload in workload.labels.keys.sorted().map { "\($0)=\(workload.labels[$0]!)" }.joined(separator: ",") },
            Column("IPS") { $0.interfaces.flatMap(\.ips).map(\.description).joined(separator: ",") },
            .age(\.createdAt),
        ]
    }
    public static func outputName(of record: Workload) -> String { record.id }
}

extension Agent: TableRenderable {
    public static var resourceKind: String { "agent" }
    public static var columns: [Column<Agent>] {
        [
            Column("NAME") { $0.name },
            Column("STATE") { $0.state.rawValue },
            Column("VERSION") { $0.version ?? "" },
            Column("LAST SEEN") { agent, now in agent.lastSeenAt.map { RelativeTime.age(of: $0, now: now) + " ago" } ?? "never" },
            Column("ADDRESS") { $0.address ?? "" },
            .age(\.createdAt),
        ]
    }
    public var outputName: String { name }
}

extension AgentJoinToken: TableRenderable {
    public static var resourceKind: String { "agent-token" }
    public static var columns: [Column<AgentJoinToken>] {
        [
            Column("ID") { $0.id },
            Column("AGENT") { $0.agent ?? "" },
            Column("PURPOSE") { $0.purpose?.rawValue ?? "" },
            Column("CREATED BY") { $0.createdBy },
            Column("EXPIRES") { token, now in APIToken.expiry(token.expiresAt, now: now) },
            Column("USED") { token, now in token.usedAt.map { RelativeTime.age(of: $0, now: now) + " ago" } ?? "no" },
            Column("USED BY") { $0.usedBy ?? "" },
            .age(\.createdAt),
        ]
    }
    public var outputName: String { id }
}

extension IssuedAgentToken: TableRenderable {
    public static var resourceKind: String { AgentJoinToken.resourceKind }
    public static var columns: [Column<IssuedAgentToken>] {
        [
            Column("ID") { $0.id },
            Column("AGENT") { $0.agent },
            Column("PURPOSE") { $0.purpose.rawValue },
            Column("EXPIRES") { issued, now in APIToken.expiry(issued.expiresAt, now: now) },
            Column("SERVER") { $0.agentAddress },
            Column("TOKEN") { $0.token },
        ]
    }
    public var outputName: String { id }
}
