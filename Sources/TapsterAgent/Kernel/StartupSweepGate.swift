import Synchronization

/// Orders the start-up sweep of workload namespaces (``KernelMirrorSweep/sweepWorkloads(of:owner:logger:)``) against
/// this run's first in-kernel mirrors.
///
/// The sweep removes every filter and veth that carries this agent's marks, and this run's mirrors carry the same marks:
/// a sweep that ran once taps were applied took them, and the reconciler, seeing its assignment unchanged, never set
/// them up again. The control channel (through which taps arrive) waits for the sweep, but not for ever — a first scan
/// that keeps failing must not keep the agent away. So: the sweep runs only if it begins before the channel stops
/// waiting; a channel that stops waiting first makes it be skipped for this run; a channel that finds it under way
/// waits for it to end.
final class StartupSweepGate: Sendable {
    private enum State { case waiting, sweeping, done, skipped }

    private let state = Mutex(State.waiting)
    private let (ended, end) = AsyncStream<Never>.makeStream()

    init() {}

    /// The scanner's side, with the first inventory: whether to sweep now. When it returns true, call ``endSweep()``
    /// once the sweep is over.
    func beginSweep() -> Bool {
        state.withLock { state in
            guard state == .waiting else { return false }
            state = .sweeping
            return true
        }
    }

    /// The sweep begun with ``beginSweep()`` is over.
    func endSweep() {
        state.withLock { $0 = .done }
        end.finish()
    }

    /// The channel's side, when it will wait no longer: true when the sweep had not begun (it is skipped for this
    /// run); false when it is under way or over — then ``waitForSweep()`` before taking any tap.
    func skipUnlessBegun() -> Bool {
        state.withLock { state in
            guard state == .waiting else { return false }
            state = .skipped
            return true
        }
    }

    /// Returns once the sweep that ``beginSweep()`` started is over (at once when it is, or when it was skipped).
    func waitForSweep() async {
        guard state.withLock({ $0 == .sweeping }) else { return }
        for await _ in ended {}
    }
}
