import Synchronization

/// The interfaces last read in each namespace a scan visited, so that a scan every second enters only the
/// namespaces that are new or whose reading is older than ``refreshInterval``: entering a namespace and
/// asking the kernel for its interfaces is most of a scan's cost on a node with hundreds of pods.
///
/// A reading is kept under the path the namespace was reached at together with the namespace's identity,
/// so a new pod, container or process (a new path) is read at once; named namespaces, whose path a new
/// namespace may take with a reused inode number, are not kept (the scanner reads them every time). What may be reported late is a change inside a namespace that stays — an address
/// added to a running pod's interface, say — by at most `refreshInterval`.
final class InterfaceReadings: Sendable {
    /// Where a namespace was reached and which namespace it was.
    struct Key: Hashable, Sendable {
        var path: String
        var identity: NamespaceIdentity
    }

    /// The interfaces of one namespace and when they were read.
    struct Reading: Sendable {
        var interfaces: [DiscoveredInterface]
        var readAt: ContinuousClock.Instant
    }

    /// How old a reading may be before the namespace is entered again.
    let refreshInterval: Duration
    private let readings = Mutex<[Key: Reading]>([:])

    /// Readings trusted for `refreshInterval`.
    init(refreshInterval: Duration) {
        self.refreshInterval = refreshInterval
    }

    /// The reading of `key` when it is younger than ``refreshInterval`` at `now`.
    func fresh(_ key: Key, at now: ContinuousClock.Instant) -> Reading? {
        readings.withLock { $0[key] }.flatMap { now - $0.readAt < refreshInterval ? $0 : nil }
    }

    /// Keeps only `current` (a scan's readings): namespaces no longer visited are forgotten.
    func replace(with current: [Key: Reading]) {
        readings.withLock { $0 = current }
    }
}
