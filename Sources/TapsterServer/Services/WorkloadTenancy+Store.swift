import TapsterCore
import TapsterStore

extension WorkloadTenancy {
    /// The rules as stored now: the tenants that exist and every namespace mapping. Read inside the
    /// transaction that writes workloads, under the rules' shared lock (``StoreSession/lockTenancyRules(exclusive:)``),
    /// so that a mapping being changed is waited for rather than applied half.
    static func load(from session: any StoreSession) async throws -> WorkloadTenancy {
        try await session.lockTenancyRules(exclusive: false)
        return WorkloadTenancy(tenants: Set(try await session.list(.tenants, tenants: nil).map(\.name)),
                               mappings: try await session.list(.namespaceMappings, tenants: nil).map(\.spec))
    }
}
