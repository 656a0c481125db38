/// A counting semaphore for async code: at most `count` bodies run at once; the others wait,
/// in arrival order, without blocking a thread.
///
/// An actor alone does not serialise work that awaits (actors are re-entrant); this does.
actor AsyncSemaphore {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ count: Int) {
        precondition(count > 0, "a semaphore admits at least one body")
        free = count
    }

    /// Runs `body` once a place is free, and frees it afterwards, whether `body` returns or throws.
    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        do {
            let result = try await body()
            release()
            return result
        } catch {
            release()
            throw error
        }
    }

    private func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
