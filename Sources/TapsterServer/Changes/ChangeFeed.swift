import Synchronization

/// The one stream of committed changes (taps, filters, targets, workloads, agents) that the parts of
/// the server acting on them subscribe to — the ``AgentHub`` today — instead of being called back.
///
/// Publishers call ``publish(_:)`` only after their transaction has committed, never for one that rolled
/// back (``ContextualService/transaction(publishing:_:)`` does both). Publishing never waits: each subscriber
/// has a bounded buffer, and a subscriber that falls more than ``capacity`` events behind loses what it
/// had not read and receives ``Event/resync`` instead, after which it must re-read everything it
/// depends on from the store. Changes are thus edge-triggered hints over a level-triggered safety net:
/// a subscriber that re-reads on ``Event/resync`` (and periodically) is correct whatever it missed.
public final class ChangeFeed: Sendable {
    /// What a subscriber receives.
    public enum Event: Sendable, Hashable {
        /// One committed change.
        case change(Change)
        /// Changes were dropped (this subscriber fell behind): re-read everything.
        case resync
    }

    /// How many unread events a subscriber may hold before it is sent ``Event/resync`` instead.
    public let capacity: Int
    private let inboxes = Mutex<[Inbox<Event>]>([])
    private let outboxes = Mutex<[Inbox<[Change]>]>([])

    public init(capacity: Int = 1024) {
        precondition(capacity >= 1, "a subscriber must be able to hold at least one event")
        self.capacity = capacity
    }

    /// Hands `changes` to every subscriber, in order; returns at once whatever the subscribers do.
    public func publish(_ changes: Change...) {
        publish(changes)
    }

    /// Hands `changes` (one transaction's, committed by this replica) to every subscriber, in order, and
    /// as one batch to the outgoing subscriptions (the relay to other replicas); returns at once whatever
    /// the subscribers do.
    public func publish(_ changes: some Sequence<Change>) {
        let batch = Array(changes)
        guard !batch.isEmpty else { return }
        deliver(batch)
        let current = outboxes.withLock { $0 }
        var ended = false
        for outbox in current where !outbox.deliver(batch) { ended = true }
        if ended { outboxes.withLock { $0.removeAll(where: \.isFinished) } }
    }

    /// Hands `changes` another replica committed to this replica's subscribers, exactly as if they had
    /// been published here, but not to the outgoing subscriptions (they came from there).
    public func publishRelayed(_ changes: some Sequence<Change>) {
        deliver(changes)
    }

    private func deliver(_ changes: some Sequence<Change>) {
        let current = inboxes.withLock { $0 }
        var ended = false
        for change in changes {
            for inbox in current where !inbox.deliver(.change(change)) { ended = true }
        }
        if ended { inboxes.withLock { $0.removeAll(where: \.isFinished) } }
    }

    /// A new subscription: every change published from now on, until the iterating task is cancelled.
    /// (Subscribe before the changes you must not miss are published; the events wait in the buffer.)
    public func subscribe() -> Subscription {
        let inbox = Inbox<Event>(capacity: capacity, overflow: .resync)
        inboxes.withLock { $0.append(inbox) }
        return Subscription(inbox: inbox)
    }

    /// A new subscription to the batches published here (``publish(_:)``, not ``publishRelayed(_:)``),
    /// one batch per call, for the relay that sends them to the other replicas. One that falls
    /// ``capacity`` batches behind receives `[.everything]` instead of what it had not read.
    public func subscribeOutgoing() -> OutgoingSubscription {
        let outbox = Inbox<[Change]>(capacity: capacity, overflow: [.everything])
        outboxes.withLock { $0.append(outbox) }
        return OutgoingSubscription(inbox: outbox)
    }

    /// The batches published on this replica since ``ChangeFeed/subscribeOutgoing()``; iterate it once.
    /// It ends when the iterating task is cancelled.
    public struct OutgoingSubscription: AsyncSequence, Sendable {
        fileprivate let inbox: Inbox<[Change]>

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(inbox: inbox) }

        /// Waits for the next batch.
        public struct AsyncIterator: AsyncIteratorProtocol {
            fileprivate let inbox: Inbox<[Change]>

            public mutating func next() async -> [Change]? { await inbox.next() }
        }
    }

    /// The events published since ``ChangeFeed/subscribe()``; iterate it once. It ends when the
    /// iterating task is cancelled.
    public struct Subscription: AsyncSequence, Sendable {
        fileprivate let inbox: Inbox<Event>

        public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(inbox: inbox) }

        /// Waits for the next event.
        public struct AsyncIterator: AsyncIteratorProtocol {
            fileprivate let inbox: Inbox<Event>

            public mutating func next() async -> Event? { await inbox.next() }
        }
    }
}

/// One subscriber's buffer, and the reader waiting on it.
private final class Inbox<Element: Sendable>: Sendable {
    private struct State {
        /// At most `capacity` (small: removing the first is cheap enough).
        var events: [Element] = []
        var reader: CheckedContinuation<Element?, Never>?
        var finished = false
    }

    private let capacity: Int
    /// What replaces the buffer's contents when it is full (it tells the reader to re-read everything).
    private let overflow: Element
    private let state = Mutex(State())

    init(capacity: Int, overflow: Element) {
        self.capacity = capacity
        self.overflow = overflow
    }

    var isFinished: Bool { state.withLock { $0.finished } }

    /// Queues `event` (or hands it to the waiting reader); when the buffer is full, drops what it holds
    /// for one `overflow`. Returns `false` when the subscription has ended.
    func deliver(_ event: Element) -> Bool {
        let (reader, open) = state.withLock { state -> (CheckedContinuation<Element?, Never>?, Bool) in
            guard !state.finished else { return (nil, false) }
            if let reader = state.reader {
                state.reader = nil
                return (reader, true)
            }
            if state.events.count < capacity {
                state.events.append(event)
            } else {
                state.events = [overflow]
            }
            return (nil, true)
        }
        reader?.resume(returning: event)
        return open
    }

    /// The next event, waiting for one; `nil` once the reading task is cancelled.
    func next() async -> Element? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (reader: CheckedContinuation<Element?, Never>) in
                let ready = state.withLock { state -> Element?? in
                    if !state.events.isEmpty { return .some(state.events.removeFirst()) }
                    if state.finished || Task.isCancelled {
                        state.finished = true
                        return .some(nil)
                    }
                    state.reader = reader
                    return nil
                }
                if let ready { reader.resume(returning: ready) }
            }
        } onCancel: {
            finish()
        }
    }

    /// Ends the subscription: the waiting reader gets `nil`, and publishers drop this inbox.
    private func finish() {
        let reader = state.withLock { state in
            state.finished = true
            state.events.removeAll()
            defer { state.reader = nil }
            return state.reader
        }
        reader?.resume(returning: nil)
    }
}
