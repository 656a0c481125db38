import HTTPTypes
import TapsterCore
@testable import TapsterServer
import Testing

/// The HTTP status each error code is answered with: the table docs/api.md and the OpenAPI document state.
@Suite("Error codes' HTTP statuses")
struct ErrorStatusTests {
    static let expected: [ErrorCode: Int] = [
        .badRequest: 400, .malformedJSON: 400, .invalidArgument: 400, .invalidBPF: 400,
        .unauthenticated: 401,
        .forbidden: 403, .notGranted: 403, .selfApproval: 403, .passwordChangeRequired: 403, .signatureInvalid: 403, .signatureExpired: 403,
        .notFound: 404,
        .methodNotAllowed: 405,
        .alreadyExists: 409, .inUse: 409, .invalidState: 409, .quotaExceeded: 409, .approvalRequired: 409,
        .durationExceedsGrant: 422, .ambiguousGrant: 422, .notRecorded: 422, .noMatch: 422,
        .tooManyRequests: 429,
        .internal: 500,
        .unavailable: 503,
    ]

    @Test("every error code has its documented status", arguments: ErrorCode.allCases)
    func statusOfEachCode(code: ErrorCode) {
        #expect(code.httpStatus.code == Self.expected[code], "\(code.rawValue)")
    }

    @Test("an error is answered with its code's status")
    func errorTakesItsCodesStatus() {
        #expect(TapsterError(.durationExceedsGrant, "too long").httpStatus == .unprocessableContent)
    }
}
