import Hummingbird
import Logging
import TapsterCore

/// Turns every error a route throws into a JSON body `{"code","message","field"}` with the
/// status of its code — including Hummingbird's own (unknown route, body too large). A known path
/// asked with a method it does not have answers `405 method_not_allowed` with an `Allow` header.
struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// How an error is rendered: native API bodies, or Neutron's envelope. Gets the mapped
    /// error and the one thrown (which may carry more, e.g. a Neutron error type).
    let render: @Sendable (Request, TapsterError, any Error) -> Response
    /// The methods of every route, to tell "no such path" (404) from "not with this method" (405).
    let routeMethods: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // The router answers "not found" both for an unknown path and for a known one without this method.
            guard let allowed = routeMethods.allowed(for: request.uri.path), !allowed.contains(request.method) else {
                return render(request, Self.map(error, request: request), error)
            }
            var response = render(request, TapsterError(.methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path)"), error)
            response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
            return response
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
