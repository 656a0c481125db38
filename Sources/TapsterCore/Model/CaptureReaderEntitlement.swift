import Foundation

/// An admin's entitlement of one user — an auditor, or an owner of the capture's tenant — to read the
/// packets of one capture that is not theirs (its live stream, its download links). Held by user id: a
/// new user who takes the name inherits nothing, and deleting or disabling the user ends it.
public struct CaptureReaderEntitlement: Codable, Sendable, Equatable {
    /// The entitled user's id: what the policy decides by.
    public var userId: String
    /// The entitled user's name, as it is now (shown; never used to decide anything).
    public var user: String
    /// The name of the admin who granted it.
    public var grantedBy: String
    public var grantedAt: Date

    public init(userId: String, user: String, grantedBy: String, grantedAt: Date) {
        self.userId = userId
        self.user = user
        self.grantedBy = grantedBy
        self.grantedAt = grantedAt
    }
}

