import Hummingbird
import Logging
import TapsterCore

/// Turns every error a route throws into a JSON body `{"code","message","field"}` with the
/// status of its code — including Hummingbird's own (unknown route, body too large).
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// How an error is rendered: native API bodies, or Neutron's envelope. Gets the mapped
    /// error and the one thrown (which may carry more, e.g. a Neutron error type).
    let render: @Sendable (Request, TapsterError, any Error) -> Response

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let mapped = Self.map(error, request: request)
            if mapped.code == .internal {
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
            }
            return render(request, mapped, error)
        }
    }

    static func map(_ error: any Error, request: Request) -> TapsterError {
        switch error {
        case let error as TapsterError:
            return error
        case let fault as NeutronFault:
            return fault.error
        case let error as HTTPError:
            switch error.status {
            case .notFound: return TapsterError(.notFound, "no such endpoint: \(request.method) \(request.uri.path)")
            case .methodNotAllowed: return TapsterError(.methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path)")
            case .contentTooLarge: return TapsterError(.badRequest, "the request body is too large")
            case .unauthorized: return TapsterError(.unauthenticated, error.body ?? "authentication required")
            default:
                return TapsterError(error.status.code >= 500 ? .internal : .badRequest, error.body ?? error.status.reasonPhrase)
            }
        default:
            return TapsterError(.internal, "internal error; the server log has details")
        }
    }
}
