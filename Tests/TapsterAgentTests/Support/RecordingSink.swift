import TapsterSystemTestSupport
import Synchronization
import TapsterAgent

/// A sink that only counts what it is given and how many times it was closed, for tests about a session's
/// life rather than its packets (those go through a real ``TunnelSink`` to tshark).
final class RecordingSink: PacketSink, @unchecked Sendable {
    private let state = Mutex((accepted: 0, flushes: 0, closes: 0))

    var accepted: Int { state.withLock { $0.accepted } }
    var closed: Bool { closes > 0 }
    var closes: Int { state.withLock { $0.closes } }

    func accept(_ bytes: UnsafeRawBufferPointer, originalLength: Int, timestampNanoseconds: UInt64) {
        state.withLock { $0.accepted += 1 }
    }

    func flush() -> Int {
        state.withLock { $0.flushes += 1 }
        return 0
    }

    func close() {
        state.withLock { $0.closes += 1 }
    }
}
