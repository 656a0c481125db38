import Foundation
import TapsterCore
import TapsterWire

extension Tapster_Agent_V1_TapAssignment {
    /// The absolute deadline.
    var deadline: Date { Date(timeIntervalSince1970: Double(deadlineUnixNanos) / 1e9) }

    /// One capture plan per source, as the server assigned them.
    var capturePlans: [CapturePlan] {
        sources.map { source in
            CapturePlan(
                tapID: tapID,
                source: CaptureSource(workload: source.workload, namespace: NetworkNamespace(reference: source.netns),
                                      interface: source.interface),
                bpf: bpf,
                snaplen: Int(snaplen),
                direction: direction.captureDirection,
                deadline: deadline,
                bandwidthCap: bandwidthCapBitsPerSecond == 0 ? nil : bandwidthCapBitsPerSecond)
        }
    }
}

extension Tapster_Agent_V1_Direction {
    var captureDirection: Direction {
        switch self {
        case .in: .in
        case .out: .out
        case .both, .UNRECOGNIZED: .both
        }
    }
}
