import Foundation
import Testing
@testable import TapsterAgent

/// The agent's own threads (capture, namespace jobs, port reception) and their names, which the kernel keeps to
/// 15 bytes and `pthread_setname_np` refuses whole when longer.
@Suite("Detached threads")
struct DetachedThreadTests {
    @Test("a name of 15 bytes is kept whole")
    func fifteenBytesKept() {
        #expect(DetachedThread.threadName("tapster-port-rx") == "tapster-port-rx")
    }

    @Test("a name longer than 15 bytes is cut to its first 15")
    func longerNameCut() {
        #expect(DetachedThread.threadName("tapster-port-receiver") == "tapster-port-re")
    }

    @Test("a name is cut before a scalar whose UTF-8 would cross the 15th byte, never inside it")
    func cutBetweenScalars() {
        // 14 ASCII bytes, then é (2 bytes): 16 bytes.
        #expect(DetachedThread.threadName("tapster-netns-é") == "tapster-netns-")
    }

    @Test("a thread given a name longer than 15 bytes runs named with its first 15")
    func longNamedThreadIsNamed() async throws {
        let comm = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
            let code = DetachedThread.start(name: "tapster-port-receiver") {
                continuation.resume(with: Result { try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8) })
            }
            if code != 0 { continuation.resume(throwing: POSIXError(POSIXErrorCode(rawValue: code)!)) }
        }

        #expect(comm == "tapster-port-re\n")
    }
}
