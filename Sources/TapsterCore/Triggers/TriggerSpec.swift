/// What an admin writes to define a ``Trigger``: the filter it captures within, the target the capture
/// (a `store` target) or tap (a mirroring target) goes to, for how long, with how much of the pre-trigger
/// window, and how often it may open one.
public struct TriggerSpec: Codable, Sendable, Equatable {
    public var name: String
    public var description: String?
    /// The admin-defined filter: an alert only ever narrows what it selects, never widens it.
    public var filter: String
    /// A `store` target (a stored capture opens) or a mirroring target (`erspan`, `vxlan`, `gre`, `port`: a tap opens).
    public var target: String
    /// How long the capture or tap runs (`--for`).
    public var duration: TapDuration
    /// The pre-trigger window the capture starts with (`--before`), read from a flight recorder.
    public var before: TapDuration?
    /// At most this many openings per period (`--rate`); ``TriggerRate/default`` when absent.
    public var rate: TriggerRate?
    /// Bytes kept of each packet of a stored capture (`--payload headers:256`), at most the target's payload.
    public var payload: Payload?

    public init(name: String, description: String? = nil, filter: String, target: String, duration: TapDuration,
                before: TapDuration? = nil, rate: TriggerRate? = nil, payload: Payload? = nil) {
        self.name = name
        self.description = description
        self.filter = filter
        self.target = target
        self.duration = duration
        self.before = before
        self.rate = rate
        self.payload = payload
    }

    /// The rate in force.
    public var effectiveRate: TriggerRate { rate ?? .default }

    /// The longest pre-trigger window a trigger may ask for.
    public static let maximumBefore = TapDuration(seconds: 600)

    /// Checks every field that needs no other object (the filter and target are checked by the service)
    /// and fills in the rate.
    public func validated() throws(TapsterError) -> TriggerSpec {
        try ResourceName.validate(name)
        try ResourceName.validate(filter, field: "filter")
        try ResourceName.validate(target, field: "target")
        if let description { try Validation.text(description, field: "description", maximum: 1024) }
        guard duration <= TapDuration.maximum else { throw TapsterError.invalid("duration", "\(duration) is longer than a year") }
        if let before, before > Self.maximumBefore {
            throw TapsterError.invalid("before", "\(before) is longer than the \(Self.maximumBefore) a trigger may look back")
        }
        var v = self
        v.rate = effectiveRate
        return v
    }
}
