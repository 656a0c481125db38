/// One recorder as one agent must run it: which of its interfaces to record, with which expression, how
/// far back and in how much memory (the whole host's share).
public struct DesiredRecorder: Hashable, Sendable {
    /// The recorder's name (unique): captures asking `before` on this host are served by it.
    public var name: String
    /// The interfaces to record on this host.
    public var sources: [DesiredTapSource]
    /// The filter's complete BPF expression; `""` records everything.
    public var bpf: String
    /// How far back the ring reaches, in nanoseconds.
    public var windowNanoseconds: UInt64
    /// The most packet memory on this host, for all ``sources`` together.
    public var maxBytes: UInt64

    public init(name: String, sources: [DesiredTapSource], bpf: String, windowNanoseconds: UInt64, maxBytes: UInt64) {
        self.name = name
        self.sources = sources
        self.bpf = bpf
        self.windowNanoseconds = windowNanoseconds
        self.maxBytes = maxBytes
    }
}

/// What an agent reports of one recorder on its host: its memory, what it holds, and what it lost.
/// Counters are totals since the recorder started on the host; `captured = held + evicted + expired`
/// (what the ring took is either still in it, pushed out by the byte limit, or aged out of the window).
public struct RecorderHostStatus: Codable, Sendable, Equatable {
    /// The agent (host).
    public var host: String
    /// Packets and bytes the ring holds now (bytes as held: packets and their 16-byte record headers).
    public var bytesHeld: UInt64
    public var packetsHeld: UInt64
    /// The memory reserved for the rings (what ``bytesHeld`` can grow to).
    public var bytesReserved: UInt64
    /// How old the oldest packet held is, in milliseconds (0 when none is held).
    public var oldestAgeMilliseconds: UInt64
    /// Packets the ring took since it started.
    public var captured: UInt64
    /// Packets pushed out before their time by the byte limit.
    public var evicted: UInt64
    /// Packets aged out of the window.
    public var expired: UInt64
    /// Packets the kernel dropped before the ring saw them.
    public var kernelDrops: UInt64
    /// Sources recording, and why the others could not (empty when all do).
    public var sources: Int
    public var failures: [String]

    public init(host: String, bytesHeld: UInt64 = 0, packetsHeld: UInt64 = 0, bytesReserved: UInt64 = 0, oldestAgeMilliseconds: UInt64 = 0,
                captured: UInt64 = 0, evicted: UInt64 = 0, expired: UInt64 = 0, kernelDrops: UInt64 = 0, sources: Int = 0, failures: [String] = []) {
        self.host = host
        self.bytesHeld = bytesHeld
        self.packetsHeld = packetsHeld
        self.bytesReserved = bytesReserved
        self.oldestAgeMilliseconds = oldestAgeMilliseconds
        self.captured = captured
        self.evicted = evicted
        self.expired = expired
        self.kernelDrops = kernelDrops
        self.sources = sources
        self.failures = failures
    }
}
