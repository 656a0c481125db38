/// `POST /api/v1/captures/{id}/readers`: entitles `user` (a name or id) to read the capture's packets.
public struct CaptureReaderRequest: Codable, Sendable, Equatable {
    public var user: String

    public init(user: String) {
        self.user = user
    }
}
