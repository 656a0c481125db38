extension CaptureBroker {
    /// The captures this replica runs and the memory each holds, as Prometheus series for `/metrics`: what a
    /// live capture holds (packets waiting in its merge, pcapng its reader has not read) is bounded by the
    /// per-capture buffer (`tapster serve --capture-buffer`), and all of them together by the total budget,
    /// which admission enforces — these series show how close each is, and the peak since it began.
    func metricsExposition() async -> String {
        var held: [MetricsExposition.Sample] = []
        var peaks: [MetricsExposition.Sample] = []
        for id in runningCaptures {
            guard let session = session(id) else { continue }
            held.append(.init([("capture", id)], UInt64(max(0, await session.heldBytes))))
            peaks.append(.init([("capture", id)], UInt64(max(0, await session.peakHeldBytes))))
        }
        var exposition = MetricsExposition()
        exposition.family("tapster_captures_live", .gauge, help: "Captures running on this server.",
                          [.init([], UInt64(held.count))])
        exposition.family("tapster_capture_held_bytes", .gauge,
                          help: "Bytes a live capture holds now: packets waiting in its merge and pcapng its reader has not read yet.",
                          held)
        exposition.family("tapster_capture_held_bytes_peak", .gauge,
                          help: "The most bytes a live capture has held at once since it began.", peaks)
        exposition.family("tapster_capture_buffer_bytes", .gauge,
                          help: "The most bytes one capture may hold (tapster serve --capture-buffer); packets beyond it are server drops.",
                          [.init([], UInt64(max(0, settings.bufferBudget)))])
        exposition.family("tapster_captures_buffer_limit_bytes", .gauge,
                          help: "The most bytes all captures together may hold: a capture that would take the sum of their buffers past it is refused.",
                          [.init([], UInt64(max(0, settings.effectiveTotalBufferBudget)))])
        return exposition.text
    }
}
