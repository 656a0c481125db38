import TapsterCore

extension DesiredRecorder {
    /// The recorder a `RecorderAssignment` message describes.
    public init(_ message: Tapster_Agent_V1_RecorderAssignment) {
        self.init(name: message.name, sources: message.sources.map(DesiredTapSource.init), bpf: message.bpf,
                  windowNanoseconds: message.windowNanos, maxBytes: message.maxBytes)
    }
}

extension Tapster_Agent_V1_RecorderAssignment {
    /// `recorder` on the wire.
    public init(_ recorder: DesiredRecorder) {
        self.init()
        name = recorder.name
        sources = recorder.sources.map(Tapster_Agent_V1_CaptureSource.init)
        bpf = recorder.bpf
        windowNanos = recorder.windowNanoseconds
        maxBytes = recorder.maxBytes
    }
}

extension RecorderHostStatus {
    /// What an agent's `RecorderStatus` says of its host's recorder, read at `now` (ns since the epoch).
    public init(host: String, _ message: Tapster_Agent_V1_RecorderStatus, now: UInt64) {
        self.init(host: host, bytesHeld: message.bytesHeld, packetsHeld: message.packetsHeld, bytesReserved: message.bytesReserved,
                  oldestAgeMilliseconds: Self.age(ofOldest: message.oldestUnixNanos, now: now), captured: message.captured,
                  evicted: message.evicted, expired: message.expired, kernelDrops: message.kernelDrops, sources: Int(message.sources),
                  failures: message.failures)
    }

    /// The age in milliseconds at `now` of the oldest packet held, stamped `oldestUnixNanos` (0: none held; both ns
    /// since the epoch). A report unchanged since is not sent again for a while (``StatusPacing``): whoever keeps
    /// one reads the age again at the time it is asked.
    public static func age(ofOldest oldestUnixNanos: UInt64, now: UInt64) -> UInt64 {
        oldestUnixNanos == 0 || oldestUnixNanos > now ? 0 : (now - oldestUnixNanos) / 1_000_000
    }
}
