/// What an admin writes to define a ``Recorder``: a per-host flight recorder on a filter's workloads.
///
/// Every agent whose workloads the filter selects keeps, per capture source, the last ``window`` of
/// those workloads' packets (the filter's BPF applied, whole packets), bounded also by ``maxBytes`` for the
/// whole host; in memory only. Nothing leaves the host until a capture asks for it with `before`.
public struct RecorderSpec: Codable, Sendable, Equatable {
    public var name: String
    public var description: String?
    /// The filter whose workloads (and BPF) are recorded, by name; any tenant's (a recorder is an admin's).
    public var filter: String
    /// How far back the ring reaches: the longest `before` a capture may ask of it.
    public var window: TapDuration
    /// The most packet memory the recorder takes on one host (all its sources together), in bytes.
    public var maxBytes: UInt64

    public init(name: String, description: String? = nil, filter: String, window: TapDuration, maxBytes: UInt64) {
        self.name = name
        self.description = description
        self.filter = filter
        self.window = window
        self.maxBytes = maxBytes
    }

    /// The longest window: a ring is a short look-back, not a store.
    public static let maximumWindow = TapDuration(seconds: 3_600)
    /// The byte limits a recorder may have per host: at least 1 MiB, at most 4 GiB. Each source's share is at least
    /// 256 KiB (the agent's `HostRecorders.minimumRingBytes`): sources beyond what the limit allows are not recorded.
    public static let byteRange: ClosedRange<UInt64> = (1 << 20)...(4 << 30)

    /// Checks every field but the filter's existence (the service's).
    public func validated() throws(TapsterError) -> RecorderSpec {
        try ResourceName.validate(name)
        try ResourceName.validate(filter, field: "filter")
        if let description { try Validation.text(description, field: "description", maximum: 1024) }
        guard window <= Self.maximumWindow else {
            throw TapsterError.invalid("window", "a recorder's window is at most \(Self.maximumWindow)")
        }
        guard Self.byteRange.contains(maxBytes) else {
            throw TapsterError.invalid("max_bytes", "a recorder holds between 1MiB and 4GiB per host, not \(ByteCount(bytes: maxBytes))")
        }
        return self
    }
}

/// An admin's flight recorder (``RecorderSpec``), as stored.
public typealias Recorder = Record<RecorderSpec>

extension RecorderSpec: NamedRecordSpec { public var recordName: String { name } }

extension CaptureNarrowing {
    /// The narrowing with ``before`` set (a trigger passes its own `before` the same way).
    public func lookingBack(_ before: TapDuration?) -> CaptureNarrowing {
        var narrowing = self
        narrowing.before = before
        return narrowing
    }
}
