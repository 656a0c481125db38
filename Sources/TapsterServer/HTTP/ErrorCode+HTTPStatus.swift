import HTTPTypes
import TapsterCore

/// The HTTP status each ``ErrorCode`` is answered with.
///
/// A transport concern, so it lives in the HTTP layer and not in Core (as Hummingbird keeps the status with
/// `HTTPResponseError`): Core's services throw codes; only the server's edges turn them into statuses.
/// The Neutron API maps a few codes its own way (``NeutronErrorBody``).
extension ErrorCode {
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .badRequest, .malformedJSON, .invalidArgument, .invalidBPF: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden, .selfApproval, .notGranted, .passwordChangeRequired, .signatureInvalid, .signatureExpired: .forbidden
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .alreadyExists, .inUse, .invalidState, .quotaExceeded, .approvalRequired: .conflict
        case .durationExceedsGrant, .ambiguousGrant, .notRecorded, .noMatch: .unprocessableContent
        case .tooManyRequests: .tooManyRequests
        case .internal: .internalServerError
        case .unavailable: .serviceUnavailable
        }
    }
}

extension TapsterError {
    /// The HTTP status this error is answered with: its code's.
    var httpStatus: HTTPResponse.Status { code.httpStatus }
}
