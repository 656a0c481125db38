import CAllocationCounter

/// Counts the calling thread's heap allocations, through the counting `malloc` & co. that the
/// `CAllocationCounter` target defines in every executable linking this module (glibc on Linux).
///
/// Counts are per thread: a hot path runs on one thread, and tests running at the same time on other
/// threads of the same process do not disturb its count. Code measured with ``measure(_:)`` must not
/// hand work to other threads and wait for it — that work would go uncounted.
public enum AllocationCounter {
    /// The calling thread's counts since it started.
    public static var current: AllocationCount {
        let counts = tapster_thread_allocation_counts()
        return AllocationCount(allocations: Int(counts.allocations), frees: Int(counts.frees), bytes: Int(counts.bytes))
    }

    /// Whether allocations are really counted: an allocation made inside Swift's runtime (a shared
    /// library) reached the counting `malloc`. False on a platform that cannot interpose it, or when the
    /// executable does not export it — then every count is 0, and "no allocation" would prove nothing.
    public static var isCounting: Bool {
        let before = current
        allocateThroughTheRuntime()
        return (current - before).allocations > 0
    }

    /// Runs `body` and returns what it allocated on this thread.
    public static func measure<Failure: Error>(_ body: () throws(Failure) -> Void) throws(Failure) -> AllocationCount {
        let start = current
        try body()
        return current - start
    }

    /// Kept out of line so that the optimiser cannot see the allocation is unused and drop it.
    @inline(never)
    private static func allocateThroughTheRuntime() {
        let block = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 8)
        block.storeBytes(of: 1, as: UInt8.self)
        block.deallocate()
    }
}
