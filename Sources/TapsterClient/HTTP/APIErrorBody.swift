import Foundation
import NIOHTTP1
import TapsterCore

/// Reads an error answer: the API's `{"code","message","field"}` body, or — from a proxy or
/// anything else that is not Tapster — an error made from the HTTP status.
enum APIErrorBody {
    private struct Body: Decodable {
        var code: String?
        var message: String?
        var field: String?
    }

    static func error(status: HTTPResponseStatus, body: Data) -> TapsterError {
        let byStatus = code(for: status.code)
        if let parsed = try? JSONDecoder().decode(Body.self, from: body), let message = parsed.message {
            return TapsterError(parsed.code.flatMap(ErrorCode.init(rawValue:)) ?? byStatus, message, field: parsed.field)
        }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
        let suffix = text.isEmpty ? "" : ": \(text)"
        return TapsterError(byStatus, "the server answered HTTP \(status.code) \(status.reasonPhrase)\(suffix)")
    }

    /// The error code an HTTP status stands for, when the body does not say.
    static func code(for status: UInt) -> ErrorCode {
        switch status {
        case 401: .unauthenticated
        case 403: .forbidden
        case 404: .notFound
        case 405: .methodNotAllowed
        case 409: .invalidState
        case 422: .invalidArgument
        case 429: .tooManyRequests
        case 503: .unavailable
        case 400..<500: .badRequest
        default: .internal
        }
    }
}
