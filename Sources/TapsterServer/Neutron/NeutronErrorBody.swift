import Hummingbird
import TapsterCore

/// Neutron's error body: `{"NeutronError": {"type": "TapServiceNotFound", "message": "…", "detail": ""}}`.
struct NeutronErrorBody: Encodable {
    struct Fields: Encodable {
        let type: String
        let message: String
        let detail: String
    }

    let neutronError: Fields

    private enum CodingKeys: String, CodingKey { case neutronError = "NeutronError" }

    /// Whether a request is answered in Neutron's dialect: everything under `/v2.0`, and `/`
    /// (version discovery).
    static func applies(to path: String) -> Bool {
        path == "/" || path == "/v2.0" || path.hasPrefix("/v2.0/")
    }

    /// The response for `error` (the native mapping of whatever was thrown) and `original`
    /// (a ``NeutronFault`` keeps its own type).
    static func response(for error: TapsterError, original: any Error, path: String) -> Response {
        let type = (original as? NeutronFault)?.type ?? typeName(for: error.code, path: path)
        let status: HTTPResponse.Status = error.code == .durationExceedsGrant ? .badRequest : error.httpStatus
        let body = NeutronErrorBody(neutronError: Fields(type: type, message: error.message, detail: ""))
        return (try? NeutronJSON.response(body, status: status)) ?? Response(status: status)
    }

    /// Neutron's type for a native error code, e.g. `not_found` under `/v2.0/taas/tap_flows` → `TapFlowNotFound`.
    static func typeName(for code: ErrorCode, path: String) -> String {
        switch code {
        case .notFound: NeutronResource.addressed(by: path).map { "\($0.typeName)NotFound" } ?? "HTTPNotFound"
        case .badRequest, .malformedJSON, .invalidArgument, .invalidBPF, .durationExceedsGrant, .ambiguousGrant, .notRecorded, .noMatch: "HTTPBadRequest"
        case .unauthenticated: "HTTPUnauthorized"
        case .forbidden, .selfApproval, .notGranted, .passwordChangeRequired, .signatureInvalid, .signatureExpired: "PolicyNotAuthorized"
        case .methodNotAllowed: "HTTPMethodNotAllowed"
        case .alreadyExists, .invalidState, .approvalRequired: "Conflict"
        case .inUse: "InUse"
        case .quotaExceeded: "OverQuota"
        case .tooManyRequests: "OverLimit"
        case .unavailable: "ServiceUnavailable"
        case .internal: "HTTPInternalServerError"
        }
    }
}
