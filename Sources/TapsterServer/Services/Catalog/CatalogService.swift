import TapsterCore
import TapsterStore

/// What the network team defines and hands out, and what agents report: tenants, targets, filters
/// (with their previews), grants and workloads, each read through Core's visibility policy. Deleting a
/// grant stops the taps it alone admitted, through the tap service.
public struct CatalogService: ContextualService {
    let context: ServiceContext
    let filterCompiler: FilterCompiler
    /// Stops the taps a deleted grant admitted.
    let taps: TapService

    // MARK: Visibility

    /// Grants addressed to `principal` (directly or through its tenants).
    func grants(addressedTo principal: Principal, in session: any StoreSession) async throws -> [Grant] {
        Policy.grants(try await session.list(.grants, tenants: nil), addressedTo: principal)
    }

    /// A target or filter the principal may see, by id or name; 404 when it does not exist or is hidden.
    func visibleRecord<Spec>(_ p: Principal, _ reference: String, in collection: RecordCollection<Spec>,
                             kind: ResourceKind) async throws -> Record<Spec> {
        let record = try await store.find(reference, in: collection)
        let grants = try await grants(addressedTo: p, in: store)
        let visible = record.map { isVisible($0, in: collection, kind: kind, to: p, grants: grants) } ?? false
        try Policy.require(p, .read, kind, .object(visible: visible), reference: reference)
        guard let record else { throw TapsterError.notFound(kind.rawValue, reference) }
        return record
    }

    /// Every target or filter the principal may see.
    func visibleRecords<Spec>(_ p: Principal, in collection: RecordCollection<Spec>, kind: ResourceKind) async throws -> [Record<Spec>] {
        try Policy.require(p, .read, kind, .collection)
        let grants = try await grants(addressedTo: p, in: store)
        return try await store.list(collection, tenants: nil).filter { isVisible($0, in: collection, kind: kind, to: p, grants: grants) }
    }

    private func isVisible<Spec>(_ record: Record<Spec>, in collection: RecordCollection<Spec>, kind: ResourceKind,
                                 to p: Principal, grants: [Grant]) -> Bool {
        Policy.isVisible(tenant: collection.tenant(record.spec), name: collection.name(record.spec) ?? "", kind: kind, to: p, grants: grants)
    }
}
