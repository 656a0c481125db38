import TapsterCore
import TapsterObjectStore

/// What the capture broker tells the control plane about a capture, and awaits: counters while it is
/// live, that it ended by itself (so its tap is stopped), and its final state.
protocol CaptureRecorder: Sendable {
    /// Counters so far, about once a second while the capture is live.
    func progress(_ id: String, _ summary: CaptureSummary) async
    /// The broker ended the capture by itself (a limit, its reader went away, every agent finished):
    /// its tap must stop, so that agents stop capturing.
    func ended(_ id: String, reason: CaptureEndReason) async
    /// The capture's pcapng is complete: streamed to its end, or stored (`stored`), or failed (`failure`).
    func finished(_ id: String, _ summary: CaptureSummary, stored: StoredObject?, failure: String?) async
    /// The tap of a capture waiting for approval here (``CaptureBroker/awaitApproval(_:)``) changed, or changes were
    /// missed: the control plane reads it, and starts the capture once approved or ends it once the request ended.
    func pendingCaptureChanged(_ id: String) async
}

extension CaptureRecorder {
    func pendingCaptureChanged(_ id: String) async {}
}
