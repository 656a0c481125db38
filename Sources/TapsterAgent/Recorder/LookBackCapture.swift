import PacketKit
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// One source of a capture that looks back (`before`), served by the host's recorder of that source
/// (``RecorderSink``) instead of a capture of its own: the recorder's thread hands it first the packets held
/// since ``LookBackConsumer/since``, then every packet it records, until the capture's deadline or ``stop()``.
/// The reconciler and the upload read and stop it like any other source.
package final class LookBackCapture: SourceCapture, StreamedCapture, @unchecked Sendable {
    let plan: CapturePlan
    let shared = CaptureShared()
    /// The recorder's session (its watermark and kernel drops), and its kernel drops when the look-back began
    /// (set by the recorder's thread when it attaches).
    private let recorder: CaptureSession
    let kernelDropsBaseline = Atomic<UInt64>(0)
    let attached = Atomic<Bool>(false)

    package init(plan: CapturePlan, recorder: CaptureSession) {
        self.plan = plan
        self.recorder = recorder
    }

    package var state: CaptureState { shared.state }

    /// The recorder's link type: the framing of every packet this capture takes.
    var linkType: LinkType? { recorder.linkType }

    /// Packets as the capture took them; kernel drops are the recorder's since the look-back's start (to the
    /// second: the recorder's counters are sampled once a second).
    var counters: CaptureCounters {
        var counters = shared.counters
        let total = recorder.counters.kernelDrops
        let baseline = kernelDropsBaseline.load(ordering: .relaxed)
        counters.kernelDrops = attached.load(ordering: .acquiring) && total > baseline ? total - baseline : 0
        return counters
    }

    /// The recorder's watermark once the held packets have been handed over (0 before: nothing is promised).
    var watermark: UInt64 { attached.load(ordering: .acquiring) ? recorder.watermark : 0 }

    func stop() { shared.requestStop() }

    func ended() async throws -> CaptureState {
        try await shared.ended()
    }
}

/// A source whose packets go to the server (`stream`/`store` taps): what the upload reads of it.
protocol StreamedCapture: SourceCapture {
    /// Every packet captured before this time (ns since the epoch) has reached the upload; 0: none promised yet.
    var watermark: UInt64 { get }
    /// The framing of its packets, once it runs (as libpcap opened the interface; a look-back's is its recorder's).
    var linkType: LinkType? { get }
}

extension CaptureSession: StreamedCapture {}
