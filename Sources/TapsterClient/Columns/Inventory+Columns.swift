import Foundation
import TapsterCore

extension WorkloadSpec: RenderableSpec {
    public static var resourceKind: String { "workload" }
    public static var recordColumns: [Column<Workload>] {
        [
            Column("ID") { $0.id },
            Column("NAME") { $0.name },
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
            .age(\.createdAt),
        ]
    }
    public var outputName: String { name }
}
