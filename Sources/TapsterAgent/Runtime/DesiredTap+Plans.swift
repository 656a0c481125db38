import Foundation
import TapsterCore

extension DesiredTap {
    /// One capture plan per source, as the server assigned them.
    var capturePlans: [CapturePlan] {
        sources.map { source in
            CapturePlan(
                tapID: tapID,
                source: CaptureSource(workload: source.workload, namespace: NetworkNamespace(netns: source.netns),
                                      interface: source.interface),
                bpf: bpf,
                snaplen: Int(snaplen),
                direction: direction,
                deadline: deadline,
                bandwidthCap: bandwidthCapBitsPerSecond)
        }
    }
}
