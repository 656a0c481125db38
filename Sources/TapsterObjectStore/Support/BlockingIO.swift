import Dispatch

/// Runs blocking system calls (file reads and writes, `fsync`, directory walks) on a Dispatch queue, so
/// that Swift's cooperative thread pool never waits on the disk.
enum BlockingIO {
    private static let queue = DispatchQueue(label: "tapster.objectstore.blocking-io", attributes: .concurrent)

    /// `body`'s result, computed on the blocking-I/O queue.
    static func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Swift.Result { try body() })
            }
        }
    }
}
