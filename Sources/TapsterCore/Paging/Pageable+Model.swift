/// The orders of the native API's lists — the store's `ORDER BY` of each, so that paging does not
/// reorder what a list showed before it was paged. Every key ends with the id, which makes it total.

/// A record spec's name as its list is ordered by (the store's `name` column).
public protocol NamedRecordSpec {
    var recordName: String { get }
}

extension TenantSpec: NamedRecordSpec { public var recordName: String { name } }
extension TargetSpec: NamedRecordSpec { public var recordName: String { name } }
extension FilterSpec: NamedRecordSpec { public var recordName: String { name } }
/// A namespace mapping is named by its pattern.
extension NamespaceMappingSpec: NamedRecordSpec { public var recordName: String { pattern } }
/// Workload names are unique per host only; the store names a workload `host/name`.
extension WorkloadSpec: NamedRecordSpec { public var recordName: String { "\(host)/\(name)" } }
/// Grants have no name: they are ordered by id.
extension GrantSpec: NamedRecordSpec { public var recordName: String { "" } }

extension Record: Pageable where Spec: NamedRecordSpec {
    public var pageKey: PageKey { .ascending(spec.recordName, id) }
}

extension User: Pageable {
    public var pageKey: PageKey { .ascending(name, id) }
}

extension Agent: Pageable {
    public var pageKey: PageKey { .ascending(name, id) }
}

extension APIToken: Pageable {
    public var pageKey: PageKey { .ascending(PageKey.time(createdAt), id) }
}

extension AgentJoinToken: Pageable {
    public var pageKey: PageKey { .ascending(PageKey.time(createdAt), id) }
}

/// Newest first, as `tapster tap list` has always shown them.
extension Tap: Pageable {
    public var pageKey: PageKey { .descending(PageKey.time(createdAt), id) }
}

/// Newest first.
extension Capture: Pageable {
    public var pageKey: PageKey { .descending(PageKey.time(createdAt), id) }
}
