import TapsterCore

/// An owner's request to create a tap, as the API receives it.
public struct TapRequest: Codable, Sendable, Equatable {
    public var filter: String
    public var target: String
    public var duration: TapDuration
    /// Which of the owner's tenants the tap belongs to, when they have several.
    public var tenant: String?
    public var description: String?

    public init(filter: String, target: String, duration: TapDuration, tenant: String? = nil, description: String? = nil) {
        self.filter = filter
        self.target = target
        self.duration = duration
        self.tenant = tenant
        self.description = description
    }
}
