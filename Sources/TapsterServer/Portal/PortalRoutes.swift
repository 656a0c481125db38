import Foundation
import Hummingbird
import TapsterCore

/// How portal routes are declared. Every page and form handler gets a signed-in ``Visitor``;
/// the wrapper sends strangers to the login page, visitors with a one-time password to the
/// password form, checks the role and (on POST) the CSRF token, and turns errors into pages.
struct PortalRoutes {
    typealias Page = @Sendable (PortalRequest) async throws -> Response
    typealias Action = @Sendable (PortalRequest, PortalForm) async throws -> Response

    let portal: Portal
    let router: Router<TapsterRequestContext>

    static let everyone: Set<Role> = Set(Role.allCases)
    static let console: Set<Role> = [.admin, .auditor]

    /// A page (GET) for `roles`.
    func page(_ path: RouterPath, roles: Set<Role> = everyone, duringPasswordChange: Bool = false, _ handler: @escaping Page) {
        let portal = portal
        router.get(path) { request, context in
            await portal.guarded(request, context, roles: roles, duringPasswordChange: duringPasswordChange) { visitor in
                try await handler(PortalRequest(request: request, context: context, visitor: visitor))
            }
        }
    }

    /// A form submission (POST) for `roles`; the form's CSRF token must match the session.
    func action(_ path: RouterPath, roles: Set<Role> = everyone, duringPasswordChange: Bool = false, _ handler: @escaping Action) {
        let portal = portal
        router.post(path) { request, context in
            await portal.guarded(request, context, roles: roles, duringPasswordChange: duringPasswordChange) { visitor in
                let form = try await PortalForm.read(request, context: context)
                guard CSRF.isValid(form[CSRF.field], secret: PortalCookies.value(PortalCookies.session, in: request) ?? "") else {
                    return portal.csrfFailure(request, visitor: visitor)
                }
                return try await handler(PortalRequest(request: request, context: context, visitor: visitor), form)
            }
        }
    }

    /// A route that needs no session (the login form).
    func open(_ path: RouterPath, method: HTTPRequest.Method, _ handler: @escaping @Sendable (Request, TapsterRequestContext) async throws -> Response) {
        let portal = portal
        router.on(path, method: method) { request, context in
            do {
                return try await handler(request, context)
            } catch {
                return portal.errorPage(for: error, request: request, visitor: nil)
            }
        }
    }
}

extension Portal {
    /// Runs `body` for a signed-in visitor allowed here, and renders whatever it throws as a page.
    func guarded(_ request: Request, _ context: TapsterRequestContext, roles: Set<Role>, duringPasswordChange: Bool,
                 _ body: (Visitor) async throws -> Response) async -> Response {
        var visitor: Visitor?
        do {
            guard let signedIn = try await self.visitor(of: request) else { return signInFirst(request) }
            visitor = signedIn
            if signedIn.user.mustChangePassword, !duringPasswordChange {
                return Response.redirect(to: SessionPages.passwordPath)
            }
            guard roles.contains(signedIn.user.role) else {
                throw TapsterError.forbidden(roles.contains(.auditor)
                    ? "this page is for the network team (admins and auditors); you are signed in as an \(signedIn.user.role.rawValue)."
                    : "only admins can do this; you are signed in as an \(signedIn.user.role.rawValue).")
            }
            return try await body(signedIn)
        } catch {
            return errorPage(for: error, request: request, visitor: visitor)
        }
    }

    /// Sends a visitor without a (valid) session to the login page, back here afterwards.
    func signInFirst(_ request: Request) -> Response {
        var target = SessionPages.loginPath
        if request.method == .get, let next = SessionPages.safeNext(request.uri.description), next != "/" {
            target += "?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        }
        var response = Response.redirect(to: target)
        if PortalCookies.value(PortalCookies.session, in: request) != nil {
            response.setCookie(cookies.expired(PortalCookies.session, for: request))
            response.setCookie(cookies.notice("Your session has ended. Please sign in again.", for: request))
        }
        return response
    }

    /// The page for a POST whose CSRF token is missing or wrong.
    func csrfFailure(_ request: Request, visitor: Visitor?) -> Response {
        errorPage(TapsterError.forbidden("The form could not be accepted: it has expired or was not sent from this portal. Go back, reload the page and try again."),
                  request: request, visitor: visitor)
    }
}
