/// Heap operations counted on one thread over a stretch of code (see ``AllocationCounter``).
public struct AllocationCount: Sendable, Hashable, CustomStringConvertible {
    /// Blocks allocated: malloc, calloc, the aligned allocators, and realloc (a realloc that may move
    /// counts as an allocation and a free).
    public var allocations: Int
    /// Blocks freed.
    public var frees: Int
    /// Bytes requested.
    public var bytes: Int

    /// The counts of `allocations`, `frees` and `bytes`.
    public init(allocations: Int = 0, frees: Int = 0, bytes: Int = 0) {
        self.allocations = allocations
        self.frees = frees
        self.bytes = bytes
    }

    /// What happened between an earlier reading `start` and this one.
    public static func - (end: Self, start: Self) -> Self {
        Self(allocations: end.allocations - start.allocations, frees: end.frees - start.frees, bytes: end.bytes - start.bytes)
    }

    /// `3 allocations (1024 bytes), 3 frees`.
    public var description: String { "\(allocations) allocations (\(bytes) bytes), \(frees) frees" }
}
