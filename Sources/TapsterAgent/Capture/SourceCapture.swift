/// One source of a tap on this host, whichever path carries its packets: a libpcap ``CaptureSession`` (the
/// userspace path) or a ``KernelMirrorSource`` (the kernel's). The reconciler starts, reads and stops them
/// alike.
protocol SourceCapture: AnyObject, Sendable {
    /// What the source captures.
    var plan: CapturePlan { get }
    /// Where it is in its life.
    var state: CaptureState { get }
    /// Its counters so far.
    var counters: CaptureCounters { get }
    /// Ends it; returns without waiting (see ``ended()``).
    func stop()
    /// Waits until it has ended and returns its final state.
    func ended() async throws -> CaptureState
}

extension CaptureSession: SourceCapture {}
