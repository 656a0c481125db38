import Synchronization

/// A tap's bandwidth cap on one host: one ``TokenBucket`` that every capture of the tap on this host (each of
/// its interfaces) draws from, so that the cap is per tap per host as documented, not per interface.
///
/// Capture threads admit their packets under a lock: a few interfaces per tap share it, the critical section
/// is the bucket's arithmetic, and nothing is allocated. Each thread passes its own capture timestamps; one a
/// little older than another thread's refills nothing (``TokenBucket/admit(bytes:now:)``), so no time counts twice.
public final class BandwidthBudget: Sendable {
    private let bucket: Mutex<TokenBucket>

    /// The rate in bits per second.
    public let bitsPerSecond: UInt64

    /// A full budget of `bitsPerSecond` (at least 1) with ``TokenBucket/defaultBurst(for:)``.
    public init(bitsPerSecond: UInt64) {
        let rate = max(bitsPerSecond, 1)
        self.bitsPerSecond = rate
        self.bucket = Mutex(TokenBucket(bitsPerSecond: rate))
    }

    /// Whether a packet of `bytes` passes at capture time `nanoseconds` (taking its bits when it does).
    @inline(__always)
    public func admit(bytes: Int, now nanoseconds: UInt64) -> Bool {
        bucket.withLock { $0.admit(bytes: bytes, now: nanoseconds) }
    }
}
