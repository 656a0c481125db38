import Foundation
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
}

extension CaptureSource {
    /// The source the server assigned: its workload, network namespace and interface.
    init(_ assigned: DesiredTapSource) {
        self.init(workload: assigned.workload, namespace: NetworkNamespace(netns: assigned.netns), interface: assigned.interface)
    }
}
