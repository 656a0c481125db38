import Foundation
import TapsterAPI
import TapsterCore

extension TargetSpec: RenderableSpec {
    public static var resourceKind: String { "target" }
    public static var recordColumns: [Column<Target>] {
        [
            Column("NAME") { $0.name },
            Column("KIND") { $0.kind.rawValue },
            Column("DESTINATION") { $0.spec.destinationSummary },
            Column("SETTINGS") { $0.spec.settingsSummary },
            Column("PAYLOAD") { $0.spec.effectivePayload.description },
            Column("CAP") { $0.bandwidthCap?.description ?? "" },
            Column("TENANT") { $0.tenant ?? "" },
            .age(\.createdAt),
        ]
    }
    public static func outputName(of record: Target) -> String { record.name }
}

extension TargetSpec {
    /// Where packets go, in one cell.
    var destinationSummary: String {
        switch kind {
        case .erspan, .vxlan, .gre: destination?.description ?? ""
        case .port: portId.map { "port \($0)" } ?? ""
        case .stream: "requester (live stream)"
        case .store: "object storage"
        case .flows: "flow records (no packets)"
        }
    }

    /// The kind's own settings, in one cell.
    var settingsSummary: String {
        switch kind {
        case .erspan:
            [erspanVersion.map { $0 == 3 ? "type III" : "type II" }, sessionId.map { "session \($0)" }]
                .compactMap { $0 }.joined(separator: ", ")
        case .vxlan:
            [vni.map { "vni \($0)" }, udpPort.map { "udp \($0)" }].compactMap { $0 }.joined(separator: ", ")
        case .gre: greKey.map { "key \($0)" } ?? ""
        case .store: retention.map { "retention \($0)" } ?? ""
        case .port, .stream, .flows: ""
        }
    }
}

extension FilterView: TableRenderable {
    public static var resourceKind: String { "filter" }
    public static var columns: [Column<FilterView>] {
        [
            Column("NAME") { $0.filter.name },
            Column("SELECTOR") { $0.filter.selector.description },
            Column("PEER") { $0.filter.peerSelector?.description ?? "" },
            Column("TRAFFIC") { $0.filter.spec.trafficSummary },
            Column("DIRECTION") { $0.filter.spec.effectiveDirection.rawValue },
            Column("MATCHES") { Plural.count($0.matches.workloads, "workload") + " on " + Plural.count($0.matches.hosts, "host") },
            Column("TENANT") { $0.filter.tenant ?? "" },
            Column.age(\.filter.createdAt),
        ]
    }
    public var outputName: String { filter.name }
}

extension FilterSpec {
    /// The traffic expression (BPF and rules), or `all` when the filter takes everything.
    var trafficSummary: String {
        ((try? trafficExpression()) ?? bpf) ?? "all"
    }
}

extension FilterPreview: TableRenderable {
    public static var resourceKind: String { "preview" }
    public static var columns: [Column<FilterPreview>] {
        [Column("WORKLOADS") { String($0.workloads) }, Column("HOSTS") { String($0.hosts) }]
    }
    public var outputName: String { "\(workloads)-workloads" }
    public func sections(now: Date) -> [TableSection] {
        [TableSection(title: "Workloads", table: items.table(Workload.columns, now: now))]
    }
}

extension GrantSpec: RenderableSpec {
    public static var resourceKind: String { "grant" }
    public static var recordColumns: [Column<Grant>] {
        [
            Column("ID") { $0.id },
            Column("SUBJECT") { grant in grant.user.map { "user/\($0)" } ?? grant.tenant.map { "tenant/\($0)" } ?? "" },
            Column("FILTER") { $0.filter },
            Column("TARGET") { $0.target },
            Column("MAX DURATION") { $0.maxDuration.description },
            // Absent: the server's approval policy decides (required for full payload when it is on).
            Column("APPROVAL") { $0.approval?.rawValue ?? "by policy" },
            .age(\.createdAt),
        ]
    }
    public static func outputName(of record: Grant) -> String { record.id }
}
