import Foundation
import Hummingbird
import TapsterAPI
import TapsterCore
import TapsterOIDC

/// `/` (to the right home page), `/login`, `/logout` and `/account/password`.
///
/// Login checks the password through ``ControlPlane`` (which audits failures), is rate-limited
/// by the same ``LoginThrottle`` as the API, and sets the session cookie. A one-time password
/// (the first admin's, or one an admin reset) sends every page to the password form until changed.
struct SessionPages {
    static let loginPath = "/login"
    static let passwordPath = "/account/password"

    let portal: Portal

    /// What the `login` template shows.
    struct LoginContent: Sendable {
        let form: FormView
        /// "Sign in with <provider>" links, one per OpenID Connect provider.
        let providers: [ProviderLink]
        /// Stored, not computed: templates read values by reflection.
        let hasProviders: Bool

        init(form: FormView, providers: [ProviderLink]) {
            self.form = form
            self.providers = providers
            self.hasProviders = !providers.isEmpty
        }
    }

    /// What the `signed-out` template shows: the way on to the provider's end-session endpoint.
    struct SignedOutContent: Sendable {
        let provider: String
        let location: String
    }

    /// A provider's sign-in link on the login page.
    struct ProviderLink: Sendable {
        let name: String
        let href: String
    }

    /// What the `password` template shows.
    struct PasswordContent: Sendable {
        let form: FormView
        let mustChange: Bool
    }

    func register(_ routes: PortalRoutes) {
        let portal = portal
        routes.open("/", method: .get) { request, _ in
            Response.redirect(to: try await portal.visitor(of: request)?.home ?? Self.loginPath)
        }
        routes.open("login", method: .get) { request, _ in
            if let visitor = try await portal.visitor(of: request) { return Response.redirect(to: visitor.home) }
            return loginPage(request, form: PortalForm(fields: ["next": request.uri.queryParameters.get("next") ?? ""]), error: nil)
        }
        routes.open("login", method: .post) { request, context in
            try await login(request, context)
        }
        routes.action("logout", duringPasswordChange: true) { request, _ in
            try await portal.identity.closePortalSession(
                PortalCookies.value(PortalCookies.session, in: request.request) ?? "", source: request.context.remoteAddress)
            // A user of an identity provider signs out there too, when the provider offers it.
            var response: Response
            if let location = await portal.singleSignOn.endSessionLocation(for: request.visitor.user),
               let provider = request.visitor.user.external?.provider {
                // A page of this server's that moves on to the provider (a redirect would be the form's, which the
                // policy keeps on this origin).
                response = portal.render("signed-out", title: "Signing out", content: SignedOutContent(provider: provider, location: location),
                                         request: request.request, visitor: nil)
            } else {
                response = portal.redirect(to: Self.loginPath, notice: "You have signed out.", request: request.request)
            }
            response.setCookie(portal.cookies.expired(PortalCookies.session, for: request.request))
            return response
        }
        routes.page("account/password", duringPasswordChange: true) { request in
            passwordPage(request, form: PortalForm(), error: nil)
        }
        routes.action("account/password", duringPasswordChange: true) { request, form in
            do {
                guard form["password"] == form["password_confirmation"] else {
                    throw TapsterError.invalid("password_confirmation", "does not match the new password")
                }
                let revokeOthers = form["revoke_other_sessions"] == "yes"
                _ = try await portal.identity.updateUser(
                    request.principal, request.principal.userID,
                    UserPatch(password: form["password"], currentPassword: form["current_password"], revokeOtherSessions: revokeOthers),
                    keepingSession: PortalCookies.value(PortalCookies.session, in: request.request))
                let notice = revokeOthers ? "Your password has been changed; your other sessions and API tokens are revoked."
                    : "Your password has been changed."
                return portal.redirect(to: request.visitor.home, notice: notice, request: request.request)
            } catch let error as TapsterError {
                return passwordPage(request, form: form, error: error)
            }
        }
    }

    private func login(_ request: Request, _ context: TapsterRequestContext) async throws -> Response {
        let form = try await PortalForm.read(request, context: context)
        guard let nonce = PortalCookies.value(PortalCookies.login, in: request), CSRF.isValid(form[CSRF.field], secret: nonce) else {
            return loginPage(request, form: form, error: TapsterError.forbidden(
                "The login form expired or your browser did not send its cookie. Make sure cookies are allowed, then sign in again."))
        }
        let name = form["name"].trimmingCharacters(in: .whitespaces)
        do {
            let (secret, user) = try await portal.identity.openPortalSession(name: name, password: form["password"],
                                                                                 source: context.remoteAddress)
            let destination = user.mustChangePassword ? Self.passwordPath : (Self.safeNext(form["next"]) ?? Visitor.home(for: user.role))
            var response = Response.redirect(to: destination)
            response.setCookie(portal.cookies.cookie(PortalCookies.session, secret, maxAge: Int(IdentityService.portalSessionLifetime.seconds), for: request))
            response.setCookie(portal.cookies.expired(PortalCookies.login, for: request))
            return response
        } catch let error as TapsterError {
            return loginPage(request, form: form, error: error)
        }
    }

    /// The login form: a fresh CSRF nonce cookie unless the browser has one.
    private func loginPage(_ request: Request, form: PortalForm, error: TapsterError?) -> Response {
        let existing = PortalCookies.value(PortalCookies.login, in: request)
        let nonce = existing ?? PasswordHasher.newTokenSecret()
        var view = FormView(action: Self.loginPath, submit: "Sign in", fields: [
            FormField("name", "User name", required: true, autocomplete: "username"),
            FormField("password", "Password", kind: .password, required: true, autocomplete: "current-password"),
        ]).filled(from: form)
        if let next = Self.safeNext(form["next"]) { view.hidden = [HiddenField(name: "next", value: next)] }
        if let error { view = view.failed(error) }
        let next = Self.safeNext(form["next"]).map { "?next=" + FormEncoding.escape($0) } ?? ""
        let providers = portal.identity.providers.oidc.map { ProviderLink(name: $0.name, href: "/login/oidc/\($0.name)" + next) }
        var response = portal.render("login", title: "Sign in", content: LoginContent(form: view, providers: providers), request: request, visitor: nil,
                                     csrf: CSRF.token(for: nonce), status: error.map(\.httpStatus) ?? .ok)
        if existing == nil { response.setCookie(portal.cookies.cookie(PortalCookies.login, nonce, maxAge: nil, for: request)) }
        return response
    }

    private func passwordPage(_ request: PortalRequest, form: PortalForm, error: TapsterError?) -> Response {
        var view = FormView(action: Self.passwordPath, submit: "Change password", fields: [
            FormField("current_password", "Current password", kind: .password, required: true, autocomplete: "current-password"),
            FormField("password", "New password", kind: .password,
                      hint: "\(PasswordHasher.minimumLength) characters to \(PasswordHasher.maximumBytes) bytes.", required: true,
                      autocomplete: "new-password"),
            FormField("password_confirmation", "New password again", kind: .password, required: true, autocomplete: "new-password"),
            FormField("revoke_other_sessions", "Sign out everywhere else", kind: .checkbox,
                      hint: "Ends your other portal sessions and revokes your API tokens; this session stays."),
        ]).filled(from: form)
        if let error { view = view.failed(error) }
        return portal.render("password", title: "Change your password",
                             content: PasswordContent(form: view, mustChange: request.visitor.user.mustChangePassword),
                             request: request.request, visitor: request.visitor,
                             status: error.map(\.httpStatus) ?? .ok)
    }

    /// A local path to return to after login; nothing that leaves this site. Browsers drop tabs and
    /// newlines from a URL and read `\` as `/`, so `/<tab>/evil.example` would become `//evil.example`:
    /// any control or blank character and any backslash is refused, as is a path starting `//`.
    static func safeNext(_ text: String) -> String? {
        guard text.hasPrefix("/"), !text.hasPrefix("//"), !text.hasPrefix(loginPath), !text.contains("\\"),
              !text.unicodeScalars.contains(where: isRefusedInNext) else { return nil }
        return text
    }

    private static func isRefusedInNext(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .unassigned, .surrogate, .privateUse: true
        default: false
        }
    }
}
