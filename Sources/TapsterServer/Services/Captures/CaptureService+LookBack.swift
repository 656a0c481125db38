import TapsterCore
import TapsterStore

extension CaptureService {
    /// Refuses (`not_recorded`) a capture looking back `before` unless, for every workload it selects, a
    /// recorder holds at least that long of every packet the capture may take: a recorder whose window is at
    /// least `before` and whose filter is the capture's own, or selects the workload and takes all its traffic
    /// (no BPF, rules, peers or ports): ``RecorderCoverage``, whose choice the agents' plans name per source, so the
    /// agent serves the look-back from the recorder checked here. The ring records both directions, which a capture
    /// cannot tell apart afterwards: a filter of one direction cannot look back.
    ///
    /// The workloads checked are exactly those the capture's `tap` selects (``CatalogService/workloads(selectedBy:for:in:)``,
    /// its tenant's, after admission — in the transaction that opens it), and the refusal names only a workload `p`
    /// may see: another tenant's workload a filter's labels happen to match is never checked, named or a reason to refuse.
    static func requireRecorded(_ before: TapDuration, filter: Filter, narrowing: CaptureNarrowing, tap: Tap, for p: Principal,
                                session: any StoreSession) async throws {
        guard filter.spec.effectiveDirection == .both else {
            throw TapsterError(.notRecorded, "filter \"\(filter.name)\" captures one direction only (\(filter.spec.effectiveDirection.rawValue)); "
                               + "a recorder holds both, so this capture cannot look back")
        }
        let recorders = try await session.list(.recorders, tenants: nil)
        let filters = Dictionary(try await session.list(.filters, tenants: nil).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let selected = try await CatalogService.workloads(selectedBy: filter.spec, for: tap, in: session).filter { narrowing.selects($0.spec) }
        let visible = TenantScope.visible(to: p)
        for workload in selected {
            guard RecorderCoverage.recorder(for: workload.spec, capturing: filter, before: before, among: recorders, filters: filters) != nil else {
                let named = visible.contains(workload.spec.tenant) ? "\(workload.host)/\(workload.name)" : "a workload of the capture"
                throw TapsterError(.notRecorded, "no recorder covers \(named) for \(before): "
                                   + "--before needs a recorder of the capture's workloads with a window of at least \(before) (tapster recorder list)")
            }
        }
    }
}
