import Synchronization

/// A continuation that several parties may try to resume — a completion and a cancellation handler —
/// of which only the first does. Filled once, before either can run.
final class ContinuationSlot<Value: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Value, any Error>?, token: UInt64?)>((nil, nil))

    /// A token the filler keeps for the cancellation handler (e.g. to unregister a waiter).
    var token: UInt64? {
        get { state.withLock { $0.token } }
        set { state.withLock { $0.token = newValue } }
    }

    func fill(_ continuation: CheckedContinuation<Value, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    func resume(returning value: Value) {
        take()?.resume(returning: value)
    }

    func resume(throwing error: any Error) {
        take()?.resume(throwing: error)
    }

    private func take() -> CheckedContinuation<Value, any Error>? {
        state.withLock { slot in
            defer { slot.continuation = nil }
            return slot.continuation
        }
    }
}
