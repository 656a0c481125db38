/// Which recorder holds a workload's packets for a capture that looks back: the one rule the capture service
/// checks when the capture is made (`not_recorded` when none) and the agents' plans name per source, so the
/// agent serves the look-back from exactly the recorder that was checked.
///
/// A recorder covers a workload for a capture of `filter` looking back `before` when its window is at least
/// `before` and its filter is the capture's own, or selects the workload and takes all its traffic (no BPF,
/// rules, peers or ports). Of several, the capture's own filter's comes first (its ring holds exactly the
/// filter's packets), then the others; by name within each.
public enum RecorderCoverage {
    /// Whether `recorder` covers `workload` (see the type).
    public static func covers(_ recorder: Recorder, workload: WorkloadSpec, capturing filter: Filter, before: TapDuration,
                              filters: [String: Filter]) -> Bool {
        guard recorder.window >= before, let own = filters[recorder.filter] else { return false }
        if own.name == filter.name { return true }
        let takesAll = (try? own.spec.trafficExpression()) == .some(nil) && own.spec.peerSelector == nil && own.spec.ports == nil
        return takesAll && own.spec.selects(workload, within: .all)
    }

    /// The recorder that serves `workload`'s look-back, or nil when none covers it.
    public static func recorder(for workload: WorkloadSpec, capturing filter: Filter, before: TapDuration, among recorders: [Recorder],
                                filters: [String: Filter]) -> Recorder? {
        let covering = recorders.filter { covers($0, workload: workload, capturing: filter, before: before, filters: filters) }
        return covering.min { first, second in
            let (firstOwn, secondOwn) = (first.filter == filter.name, second.filter == filter.name)
            return firstOwn != secondOwn ? firstOwn : first.name < second.name
        }
    }
}
