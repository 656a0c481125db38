import Foundation
import TapsterCore

/// Recorders in the agents' plans, and captures that look back.
///
/// - a recorder runs on every host with a workload its filter selects (any tenant's: a recorder is an
///   admin's), on the same interfaces a tap of the filter would capture, with the filter's complete BPF;
///   its byte limit is per host; a recorder whose filter is missing, or whose peer selector matches no address, runs nowhere;
/// - a capture with `before` asks each host for its recorder's packets from its start less `before` (its creation,
///   or its approval when it waited for one).
extension DesiredTapsPlanner {
    /// Each host's recorders, by host, ordered by name.
    /// `workloads` are the candidates for sources (the planned hosts'); `everywhere` every host's, for a peer
    /// selector's addresses.
    static func plannedRecorders(_ recorders: [Recorder], workloads: [Workload], everywhere: [Workload], filters: [String: Filter],
                                 excluding excluded: Set<String>) -> [String: [DesiredRecorder]] {
        var byHost: [String: [DesiredRecorder]] = [:]
        for recorder in recorders.sorted(by: { $0.name < $1.name }) {
            guard let filter = filters[recorder.filter], let bpf = expression(of: filter.spec, workloads: everywhere) else { continue }
            for (host, sources) in sources(of: filter.spec, within: .all, in: workloads, excluding: excluded) {
                byHost[host, default: []].append(DesiredRecorder(
                    name: recorder.name, sources: sources, bpf: bpf,
                    windowNanoseconds: UInt64(recorder.window.seconds) * 1_000_000_000, maxBytes: recorder.maxBytes))
            }
        }
        return byHost
    }

    /// `sources` (on `host`) of a capture of `filter` looking back `before`, each naming the recorder that serves it:
    /// the one ``RecorderCoverage`` (the rule the capture was checked with) chooses for its workload; none when
    /// no recorder covers it any more (the agent then captures it live only).
    static func lookBackRecorders(of sources: [DesiredTapSource], host: String, capturing filter: Filter, before: TapDuration,
                                  recorders: [Recorder], workloads: [Workload], filters: [String: Filter]) -> [DesiredTapSource] {
        let onHost = Dictionary(workloads.filter { $0.host == host }.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        return sources.map { source in
            var source = source
            source.lookBackRecorder = onHost[source.workload].flatMap { workload in
                RecorderCoverage.recorder(for: workload.spec, capturing: filter, before: before, among: recorders, filters: filters)?.name
            }
            return source
        }
    }

    /// Where a capture's look-back starts (ns since the epoch): its start — its creation, or the approval of a
    /// capture that waited for one — less its `before`, never before its owner was entitled
    /// (``CaptureNarrowing/lookBackStart(startedAt:)``); nil without one.
    static func lookBackSince(of tap: Tap) -> UInt64? {
        let started = tap.approval?.state == .approved ? tap.approval?.decidedAt ?? tap.createdAt : tap.createdAt
        guard let start = tap.capture?.lookBackStart(startedAt: started)?.timeIntervalSince1970 else { return nil }
        return start > 0 ? UInt64((start * 1_000_000_000).rounded()) : 1
    }
}
