import Logging
import NIOPosix
import ServiceLifecycle
import TapsterProcess

/// Gives the allocator's free pages back to the kernel every ``interval`` (glibc's `malloc_trim(0)`).
///
/// glibc returns freed memory to the kernel only from the top of an arena: what a burst frees below a block
/// still in use stays resident. A server's bursts are connection storms — a thousand agents' TLS handshakes,
/// enrolments and first reports — after which each connected agent's share of the resident size was about 60 KB
/// more than it needed (Benchmarks/README.md, "The server's free heap after a connect storm": 279 → 220 KB per
/// agent at 1,000 agents). `malloc_trim(0)` releases the whole free pages inside every arena as well; the pages come
/// back, zeroed, when they are used again.
///
/// The trim walks every arena's free lists, holding that arena's lock while it does, so it runs on NIO's blocking
/// thread pool, never on the cooperative pool. Without glibc (another C library) it does nothing.
struct HeapTrimmer: Service {
    /// How long between two trims: short enough that a storm's garbage is gone within seconds, long enough
    /// that the walk (milliseconds on a heap of hundreds of megabytes) costs nothing measurable.
    var interval: Duration = .seconds(10)
    let logger: Logger

    func run() async throws {
        guard Self.isAvailable else { return }
        // Its sleeps are long: a graceful shutdown cancels it rather than waiting for one to end.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                do {
                    let trim = try await Self.trim()
                    logger.debug("heap trimmed", metadata: [
                        "released_bytes": "\(trim.releasedBytes)", "duration": "\(trim.duration)"])
                } catch {
                    return  // the thread pool has shut down: the process is ending
                }
            }
        }
    }

    /// What one trim did: how much the resident size fell (0 if it grew meanwhile) and how long it took.
    struct Trim: Sendable {
        let releasedBytes: Int
        let duration: Duration
    }

    /// Whether this process's allocator can be trimmed (glibc's `malloc_trim` exists).
    static var isAvailable: Bool { ProcessAllocator.canTrim }

    /// Trims the heap once, on NIO's blocking thread pool.
    /// - Throws: when the thread pool no longer runs (the process is shutting down).
    static func trim() async throws -> Trim {
        try await NIOThreadPool.singleton.runIfActive { trimBlocking() }
    }

    /// Trims the heap once on the calling thread, which it blocks for the walk.
    static func trimBlocking() -> Trim {
        let before = ResidentSize.bytes()
        let start = ContinuousClock.now
        ProcessAllocator.trim()
        let duration = ContinuousClock.now - start
        return Trim(releasedBytes: max(0, before - ResidentSize.bytes()), duration: duration)
    }
}
