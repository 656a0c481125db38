import Glibc

/// The receptions a ``PortReceiver`` serves, by GRE key, each with its open injection sink, the source
/// addresses it allows and its counters; and what was refused.
/// Lives inside a ``LockedPortReceiverRegistry``; the receive thread and the control methods take turns.
struct PortReceiverRegistry {
    struct Entry {
        var reception: PortReception
        let sink: PortInjectionSink
        var deadlineNanoseconds: UInt64
        /// ``PortReception/allowedSources`` as raw values, looked up per frame.
        var allowedSources: Set<UInt32>
        var counters = PortReceptionCounters()

        init(reception: PortReception, sink: PortInjectionSink) {
            self.reception = reception
            self.sink = sink
            deadlineNanoseconds = reception.deadlineNanoseconds
            allowedSources = Set(reception.allowedSources.map(\.rawValue))
        }
    }

    var entries: [UInt32: Entry] = [:]
    var refusals = PortReceiverRefusals()

    /// Registers `reception` with its sink, and returns the sink it replaces (to close), if any.
    mutating func insert(_ reception: PortReception, sink: PortInjectionSink) -> PortInjectionSink? {
        let replaced = entries[reception.greKey]?.sink
        entries[reception.greKey] = Entry(reception: reception, sink: sink)
        return replaced
    }

    /// Removes the receptions of `tapID` and returns their sinks (to close).
    mutating func remove(tapID: String) -> [PortInjectionSink] {
        let keys = entries.filter { $0.value.reception.tapID == tapID }.map(\.key)
        return keys.compactMap { entries.removeValue(forKey: $0)?.sink }
    }

    /// Removes the receptions whose deadline is at or before `now` and returns them with their sinks.
    mutating func removeExpired(now: UInt64) -> [(PortReception, PortInjectionSink)] {
        guard entries.values.contains(where: { $0.deadlineNanoseconds <= now }) else { return [] }
        let expired = entries.filter { $0.value.deadlineNanoseconds <= now }
        for key in expired.keys { entries.removeValue(forKey: key) }
        return expired.values.map { ($0.reception, $0.sink) }
    }

    /// Hands one received frame, tunnelled from `source` (an IPv4 address's raw value) with `key`, to the
    /// reception with that key, if there is one, it allows `source` and its deadline has not passed;
    /// counts it as refused otherwise.
    mutating func deliver(_ frame: UnsafeRawBufferPointer, key: UInt32, source: UInt32, now: UInt64) {
        guard let index = entries.index(forKey: key), entries.values[index].deadlineNanoseconds > now else {
            refusals.unknownKey &+= 1
            return
        }
        guard entries.values[index].allowedSources.contains(source) else {
            entries.values[index].counters.refused &+= 1
            refusals.unplannedSource &+= 1
            return
        }
        entries.values[index].sink.accept(frame, originalLength: frame.count, timestampNanoseconds: now)
        entries.values[index].counters.packets &+= 1
        entries.values[index].counters.bytes &+= UInt64(frame.count)
    }

    /// Flushes every sink, counting what could not be sent.
    mutating func flushAll() {
        for index in entries.indices {
            let failures = entries.values[index].sink.flush()
            if failures > 0 { entries.values[index].counters.failures &+= UInt64(failures) }
        }
    }

    /// Removes every reception and returns the sinks (to close).
    mutating func removeAll() -> [PortInjectionSink] {
        defer { entries.removeAll() }
        return entries.values.map(\.sink)
    }
}

/// A ``PortReceiverRegistry`` behind a lock. Its sinks are not `Sendable` (they belong to whichever thread
/// holds the lock) and the receive thread hands them raw packet memory, which `Mutex`'s region checking
/// cannot see is safe; every access goes through ``withLock(_:)``, hence `@unchecked Sendable`.
final class LockedPortReceiverRegistry: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t> = {
        let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        return mutex
    }()
    private var registry = PortReceiverRegistry()

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the registry, holding the lock.
    func withLock<Result>(_ body: (inout PortReceiverRegistry) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&registry)
    }
}
