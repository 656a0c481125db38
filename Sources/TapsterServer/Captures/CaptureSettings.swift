import Foundation
import TapsterCore
import TapsterObjectStore

/// How the server runs captures: the per-capture memory budget, timings, and where stored captures go.
public struct CaptureSettings: Sendable {
    /// The default per-capture buffer: 8 MiB.
    public static let defaultBufferBudget = 8 << 20

    /// The most bytes one capture holds in memory (packets waiting in the merge plus output not yet read
    /// or stored); packets that do not fit are dropped and counted. `tapster serve --capture-buffer`.
    public var bufferBudget: Int
    /// How far behind the newest packet a packet may arrive and still be put in order (at most 500 ms).
    public var reorderWindow: Duration
    /// How long a streamed capture waits for its reader to connect before it stops as `client_gone`.
    public var readerGrace: Duration
    /// After a capture is told to end, how long it waits for agents' last batches before it closes.
    public var drainGrace: Duration
    /// When every agent of a live capture ended its stream on its own — its workloads went, as when pods are
    /// rescheduled (`Recreate`: the old pods stop before the new ones run) — how long the capture waits for a
    /// workload to come back before it ends as `agents_finished` and stops its tap. A replacement pod takes its
    /// runtime's, the inventory's and the plan's time: seconds, more on a busy host.
    public var rejoinGrace: Duration = .seconds(10)
    /// How often idle captures are flushed and deadlines checked.
    public var tickInterval: Duration
    /// How often a live capture's counters are written to its record.
    public var progressInterval: Duration
    /// Where `store` captures are written; `nil`: this server refuses them (`unavailable`).
    public var objectStore: (any ObjectStore)?
    /// Signs download URLs.
    public var signer: DownloadSigner
    /// The longest the retention sweeper sleeps between sweeps.
    public var sweepInterval: Duration
    /// Where users reach the server (`--external-url`): download links are absolute only with it.
    public var externalURL: ExternalURL?
    /// The most bytes all running captures together may hold in memory: each holds up to ``bufferBudget``,
    /// so a capture that would take the sum past this is refused (`unavailable`). By default 32 captures'.
    public var totalBufferBudget: Int?
    /// A stored capture is refused (`unavailable`) when the filesystem capture store has less free than
    /// this: 256 MiB by default. A capture that fills the disk anyway fails with the reason.
    public var storeFreeSpaceFloor: Int64 = 256 << 20
    /// The replica this server is among those sharing its database: recorded on every capture it runs, so
    /// that agents send that capture's packets here and other replicas refuse them. nil: a server that
    /// names no replica (tests in one process); its captures name none, and agents send to their own.
    public var replica: CaptureReplica?

    /// ``totalBufferBudget``, or 32 times ``bufferBudget``.
    var effectiveTotalBufferBudget: Int { totalBufferBudget ?? bufferBudget.multipliedReportingOverflow(by: 32).partialValue }

    /// - Parameter signingKey: the download URL key; a random one (URLs do not survive a restart) when nil.
    public init(bufferBudget: Int = CaptureSettings.defaultBufferBudget, reorderWindow: Duration = .milliseconds(500),
                readerGrace: Duration = .seconds(30), drainGrace: Duration = .seconds(2), tickInterval: Duration = .milliseconds(100),
                progressInterval: Duration = .seconds(1), objectStore: (any ObjectStore)? = nil, signingKey: DownloadSigningKey? = nil,
                downloadLifetime: Duration = DownloadSigner.defaultLifetime, sweepInterval: Duration = .seconds(60)) {
        self.bufferBudget = bufferBudget
        self.reorderWindow = min(reorderWindow, .milliseconds(500))
        self.readerGrace = readerGrace
        self.drainGrace = drainGrace
        self.tickInterval = tickInterval
        self.progressInterval = progressInterval
        self.objectStore = objectStore
        self.signer = DownloadSigner(key: signingKey ?? .generate(), lifetime: downloadLifetime)
        self.sweepInterval = sweepInterval
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ UInt64(attoseconds / 1_000_000_000)
    }
}

extension Date {
    /// Nanoseconds since the Unix epoch.
    var unixNanoseconds: UInt64 {
        UInt64(max(0, timeIntervalSince1970 * 1e9))
    }
}
