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

    /// `assignment` (of capture `tap`, on `host`) looking back: each source names the recorder that serves it —
    /// the one ``RecorderCoverage`` (the rule the capture was checked with) chooses for its workload, none when no
    /// recorder covers it any more (the agent then captures it live only) — and where its look-back starts
    /// (``CaptureNarrowing/lookBackStart(startedAt:tenantSince:)``: never before its workload joined the capture's
    /// tenant). A workload that joined the tenant after the capture started (or one not known here) names no
    /// recorder: it is captured live only, by agents of every version (the recorder's name predates the
    /// per-source start). The assignment's own start is the latest of the other sources', the safe side for an
    /// agent that reads only that. `assignment` unchanged for a tap that does not look back.
    static func lookingBack(_ assignment: DesiredTap, of tap: Tap, host: String, capturing filter: Filter,
                            recorders: [Recorder], workloads: [Workload], filters: [String: Filter]) -> DesiredTap {
        guard let narrowing = tap.capture, let before = narrowing.before else { return assignment }
        let started = tap.startedAt
        let onHost = Dictionary(workloads.filter { $0.host == host }.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var assignment = assignment
        assignment.sources = assignment.sources.map { source in
            var source = source
            guard let workload = onHost[source.workload],
                  let start = narrowing.lookBackStart(startedAt: started, tenantSince: workload.tenancyStart), start <= started else {
                source.lookBackRecorder = nil
                source.lookBackSince = nil
                return source
            }
            source.lookBackRecorder = RecorderCoverage.recorder(for: workload.spec, capturing: filter, before: before,
                                                                among: recorders, filters: filters)?.name
            source.lookBackSince = unixNanos(start)
            return source
        }
        assignment.lookBackSince = ([lookBackSince(of: tap)] + assignment.sources.map(\.lookBackSince)).compactMap { $0 }.max()
        return assignment
    }

    /// Where a capture's look-back starts (ns since the epoch): its start (``Tap/startedAt``) less its `before`,
    /// never before its owner was entitled (``CaptureNarrowing/lookBackStart(startedAt:)``); nil without one.
    static func lookBackSince(of tap: Tap) -> UInt64? {
        tap.capture?.lookBackStart(startedAt: tap.startedAt).map(unixNanos)
    }

    /// `date` in ns since the epoch, for the agents' plans (never 0, which means "no look-back" on the wire).
    private static func unixNanos(_ date: Date) -> UInt64 {
        let seconds = date.timeIntervalSince1970
        return seconds > 0 ? UInt64((seconds * 1_000_000_000).rounded()) : 1
    }
}
