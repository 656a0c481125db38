/// Runs `body` in a child task of its own and returns what it returns.
///
/// For work started from a task that lives as long as a connection (an agent's `Connect` stream, its
/// message loop). A task keeps the memory its deepest call needed — its stack allocator's slabs — until the
/// task ends, so a store transaction made on the connection's own task would cost that memory for the
/// connection's whole life (heaptrack at 500 agents: about 30 KB per agent channel). A child task gives
/// its slabs back when it ends. Cancellation reaches the child as it would the caller.
func inChildTask<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
    try await withThrowingTaskGroup(of: Value.self) { group in
        group.addTask(operation: body)
        // The one child either returns or throws; `next()` is nil only for an empty group.
        guard let value = try await group.next() else { throw CancellationError() }
        return value
    }
}
