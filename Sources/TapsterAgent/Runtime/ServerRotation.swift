import Synchronization

/// Which replica the agent connects to next. Each round takes every address of the ``ServerList`` (names
/// resolved afresh, so changed DNS records are followed) in a random order — so that a fleet started
/// together spreads over the replicas instead of all choosing the first — and a new round never begins
/// with the address just tried, so a failed replica is followed by another whenever there is one.
/// ``current`` is the replica of the control channel, where uploads go that name no replica of their own.
final class ServerRotation: Sendable {
    let servers: ServerList
    private let resolve: @Sendable (String) -> [String]
    private struct State {
        var round: [ServerAddress] = []
        var current: ServerAddress?
        var generator: any RandomNumberGenerator & Sendable
    }
    private let state: Mutex<State>

    /// `generator` shuffles the rounds (seeded in tests); `resolve` turns a name into its addresses.
    init(servers: ServerList, generator: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator(),
         resolve: @escaping @Sendable (String) -> [String] = ServerList.resolve) {
        self.servers = servers
        self.resolve = resolve
        self.state = Mutex(State(generator: generator))
    }

    /// The address to try now; it becomes ``current``.
    func next() -> ServerAddress {
        let resolve = self.resolve
        return state.withLock { state in
            if state.round.isEmpty {
                var round = servers.resolved(using: resolve)
                var generator = state.generator
                round.shuffle(using: &generator)
                state.generator = generator
                if round.count > 1, round.first == state.current { round.append(round.removeFirst()) }
                state.round = round
            }
            let address = state.round.removeFirst()
            state.current = address
            return address
        }
    }

    /// The address last returned by ``next()`` (the first of the list before any).
    var current: ServerAddress {
        state.withLock { $0.current } ?? servers.addresses[0]
    }
}
