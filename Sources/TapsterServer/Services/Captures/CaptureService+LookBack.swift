import TapsterCore
import TapsterStore

extension CaptureService {
    /// Refuses (`not_recorded`) a capture looking back `before` unless, for every workload it selects, a
    /// recorder holds at least that long of every packet the capture may take: a recorder whose window is at
    /// least `before` and whose filter is the capture's own, or selects the workload and takes all its traffic
    /// (no BPF, rules, peers or ports). The ring records both directions, which a capture cannot tell apart
    /// afterwards: a filter of one direction cannot look back.
    func requireRecorded(_ before: TapDuration, filter: Filter, narrowing: CaptureNarrowing) async throws {
        guard filter.spec.effectiveDirection == .both else {
            throw TapsterError(.notRecorded, "filter \"\(filter.name)\" captures one direction only (\(filter.spec.effectiveDirection.rawValue)); "
                               + "a recorder holds both, so this capture cannot look back")
        }
        let recorders = try await store.list(.recorders, tenants: nil).filter { $0.window >= before }
        let filters = Dictionary(try await store.list(.filters, tenants: nil).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let selected = try await store.list(.workloads, tenants: nil)
            .filter { filter.spec.selects($0.spec, within: .all) && narrowing.selects($0.spec) }
        for workload in selected {
            let covered = recorders.contains { recorder in
                guard let own = filters[recorder.filter] else { return false }
                if own.name == filter.name { return true }
                let takesAll = (try? own.spec.trafficExpression()) == .some(nil) && own.spec.peerSelector == nil && own.spec.ports == nil
                return takesAll && own.spec.selects(workload.spec, within: .all)
            }
            guard covered else {
                throw TapsterError(.notRecorded, "no recorder covers \(workload.host)/\(workload.name) for \(before): "
                                   + "--before needs a recorder of the capture's workloads with a window of at least \(before) (tapster recorder list)")
            }
        }
    }
}
