/// The server replica that runs a capture: the one its reader (the owner's live stream, or the upload to
/// the capture store) is attached to, so every agent sends the capture's packets there — directly, never
/// through the database. Recorded on the capture when it is created, and carried by its tap's
/// ``CaptureNarrowing`` so that the agents' plans name it.
public struct CaptureReplica: Codable, Sendable, Hashable {
    /// The replica's name among those sharing the database (`tapster serve --replica-name`).
    public var name: String
    /// `HOST:PORT` where agents reach that replica's agent channel (`--agent-advertise-address`).
    public var agentAddress: String

    public init(name: String, agentAddress: String) {
        self.name = name
        self.agentAddress = agentAddress
    }
}
