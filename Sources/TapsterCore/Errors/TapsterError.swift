/// A failure that reaches a user: a stable machine-readable ``code``, a human ``message``, and, for
/// validation failures, the offending ``field``. (The HTTP status a code is answered with is the server's
/// HTTP layer's business, not Core's.)
///
/// Every API error body is the JSON encoding of this type: `{"code": "...", "message": "...", "field": "..."}`.
public struct TapsterError: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    /// The stable error code clients switch on (`not_granted`, `quota_exceeded`, …).
    public var code: ErrorCode
    /// A sentence for a human.
    public var message: String
    /// The request field at fault, when there is one.
    public var field: String?

    public init(_ code: ErrorCode, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { "\(code.rawValue): \(message)" }

    // MARK: Convenience constructors

    public static func invalid(_ field: String, _ message: String) -> TapsterError {
        TapsterError(.invalidArgument, "\(field): \(message)", field: field)
    }

    public static func notFound(_ kind: String, _ reference: String) -> TapsterError {
        TapsterError(.notFound, "\(kind) \"\(reference)\" not found")
    }

    public static func forbidden(_ message: String) -> TapsterError {
        TapsterError(.forbidden, message)
    }
}

/// The stable codes of ``TapsterError``. Their raw values are part of the API.
public enum ErrorCode: String, Codable, Sendable, CaseIterable {
    case badRequest = "bad_request"
    case malformedJSON = "malformed_json"
    case invalidArgument = "invalid_argument"
    case invalidBPF = "invalid_bpf"
    case unauthenticated = "unauthenticated"
    case forbidden = "forbidden"
    /// A requester tried to approve or reject their own tap's request (four-eyes: another admin must).
    case selfApproval = "self_approval"
    case notGranted = "not_granted"
    case notFound = "not_found"
    case alreadyExists = "already_exists"
    case inUse = "in_use"
    case invalidState = "invalid_state"
    case quotaExceeded = "quota_exceeded"
    /// A capture asked through a grant that requires approval: captures do not wait for one (ask for a tap instead).
    case approvalRequired = "approval_required"
    case durationExceedsGrant = "duration_exceeds_grant"
    case ambiguousGrant = "ambiguous_grant"
    /// A capture asked to look back (`before`) where no recorder covers its selection for that long.
    case notRecorded = "not_recorded"
    /// A trigger's alert selected no workload of the trigger's filter: nothing opened.
    case noMatch = "no_match"
    case signatureInvalid = "signature_invalid"
    case signatureExpired = "signature_expired"
    case passwordChangeRequired = "password_change_required"
    case tooManyRequests = "too_many_requests"
    case methodNotAllowed = "method_not_allowed"
    case `internal` = "internal"
    case unavailable = "unavailable"
}
