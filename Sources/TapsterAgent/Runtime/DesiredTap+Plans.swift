#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TapsterCore

extension DesiredTap {
    /// One capture plan per source, as the server assigned them.
    var capturePlans: [CapturePlan] {
        sources.map { source in
            CapturePlan(
                tapID: tapID,
                source: CaptureSource(source),
                bpf: bpf,
                snaplen: Int(snaplen),
                direction: direction,
                deadline: deadline,
                bandwidthCap: bandwidthCapBitsPerSecond)
        }
    }

    /// Whether `next` is this tap with other sources only, so that a running tap becomes it by starting and stopping
    /// sources. A look-back's own start may differ too: it follows the sources (the server sends the latest of
    /// theirs), each of which carries its own start, so the running ones keep what they replayed and a new one starts
    /// from its own — restarting would replay every source's ring again into the same capture.
    func differsOnlyInSources(from next: DesiredTap) -> Bool {
        var same = self
        same.sources = next.sources
        if same.lookBackSince != nil, next.lookBackSince != nil { same.lookBackSince = next.lookBackSince }
        return same == next
    }
}

extension CaptureSource {
    /// The source the server assigned: its workload, network namespace and interface.
    init(_ assigned: DesiredTapSource) {
        self.init(workload: assigned.workload, namespace: NetworkNamespace(netns: assigned.netns), interface: assigned.interface)
    }
}
