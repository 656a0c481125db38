#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

extension NetworkNamespace {
    /// Runs `body` on a new thread that first enters this namespace, and returns its result; the thread
    /// ends with it, so no pooled thread ever changes namespace. For short jobs inside a namespace:
    /// listing interfaces, opening a socket that must live there (a socket keeps its namespace wherever it
    /// is used afterwards).
    ///
    /// The caller's task suspends without blocking a thread of the cooperative pool.
    /// - Throws: ``NamespaceError`` when no thread can be started (``NamespaceError/Operation/thread``, `body` is then
    ///   never run) or the namespace cannot be entered, or what `body` throws.
    public func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await runOnNewThread(entering: { () throws(NamespaceError) in try enterOnCurrentThread() }, body)
    }

    /// Like ``run(_:)``, entering only when the namespace is the one `expected` records (see
    /// ``enterOnCurrentThread(expecting:)``).
    func run<Result: Sendable>(expecting expected: ProcessNamespaceRecord.Recorded,
                               _ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await runOnNewThread(entering: { () throws(NamespaceError) in try enterOnCurrentThread(expecting: expected) }, body)
    }

    private func runOnNewThread<Result: Sendable>(entering enter: @escaping @Sendable () throws(NamespaceError) -> Void,
                                                  _ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            let code = DetachedThread.start(name: "tapster-netns") {
                do {
                    try enter()
                    continuation.resume(returning: try body())
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            if code != 0 {
                continuation.resume(throwing: NamespaceError(namespace: self, operation: .thread, code: code))
            }
        }
    }
}
