/// `GET /api/v1/audit`: one page of events, newest first unless asked otherwise, and the cursor of the next
/// (older) page when there may be one.
public struct AuditPage: Codable, Sendable, Equatable {
    public var items: [AuditEvent]
    /// Pass as `before` for the next page of older events; absent on the last page.
    public var nextBefore: Int64?

    public init(items: [AuditEvent], nextBefore: Int64? = nil) {
        self.items = items
        self.nextBefore = nextBefore
    }
}
