import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TapsterCore

/// What the `error` template shows.
struct ErrorContent: Sendable {
    let status: Int
    let heading: String
    let message: String
    let home: String
    let signedIn: Bool
}

extension Portal {
    /// Only this server's own files, no framing, no inline script or style, forms posted only here (the sign-out
    /// that goes on to a provider answers a page of its own that moves on: browsers apply `form-action` to a
    /// form's redirects too).
    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        .xContentTypeOptions: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        .cacheControl: "no-store",
        .contentType: "text/html; charset=utf-8",
    ]

    /// Renders `template` with `content` inside the layout; consumes the notice cookie.
    /// `csrf` is the token the page's forms carry (the visitor's, or the login form's).
    func render(_ template: String, title: String, content: some Any, request: Request, visitor: Visitor?,
                csrf: String? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let notice = PortalCookies.notice(in: request)
        let chrome = PageChrome(
            title: title, userName: visitor?.user.name, roleName: visitor?.user.role.rawValue,
            nav: PageChrome.navigation(for: visitor, path: request.uri.path), csrf: csrf ?? visitor?.csrf ?? "",
            notice: notice, stylesheet: pages.stylesheet, script: pages.script)
        guard let html = pages.render(template, PageView(chrome: chrome, page: content)) else {
            return Response(status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "the portal template \(template) is missing")))
        }
        var response = Response(status: status, headers: Self.securityHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
        if notice != nil { response.setCookie(cookies.expired(PortalCookies.notice, for: request)) }
        return response
    }

    /// A page's refreshable region alone (`?fragment=…`, fetched by `portal.js`): `template` without the page's frame.
    func renderFragment(_ template: String, content: some Any, status: HTTPResponse.Status = .ok) throws -> Response {
        guard let html = pages.render(template, content) else { throw TapsterError(.internal, "the portal template \(template) is missing") }
        return Response(status: status, headers: Self.securityHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A redirect after a successful action (303 See Other), with a notice for the next page.
    func redirect(to location: String, notice: String, request: Request) -> Response {
        var response = Response.redirect(to: location)
        response.setCookie(cookies.notice(notice, for: request))
        return response
    }

    /// The page for an error: 403, 404 and the others are pages of their own, with the status of the error.
    func errorPage(_ error: TapsterError, request: Request, visitor: Visitor?) -> Response {
        let heading = switch error.code {
        case .forbidden, .selfApproval, .notGranted, .passwordChangeRequired: "Not allowed"
        case .notFound: "Not found"
        case .methodNotAllowed: "Not available"
        case .tooManyRequests: "Too many attempts"
        case .invalidState, .alreadyExists, .inUse, .quotaExceeded, .approvalRequired: "That cannot be done now"
        case .internal, .unavailable: "Something went wrong"
        default: "That request could not be handled"
        }
        let content = ErrorContent(status: error.httpStatus.code, heading: heading, message: error.message.prefix(1).uppercased() + error.message.dropFirst(),
                                   home: visitor?.home ?? SessionPages.loginPath, signedIn: visitor != nil)
        return render("error", title: heading, content: content, request: request, visitor: visitor,
                      status: error.httpStatus)
    }

    /// The page for anything a portal handler throws (HTTP errors, store failures: a 500 page, logged).
    func errorPage(for error: any Error, request: Request, visitor: Visitor?) -> Response {
        if let error = error as? TapsterError { return errorPage(error, request: request, visitor: visitor) }
        let mapped = APIErrorMiddleware<TapsterRequestContext>.map(error, request: request)
        if mapped.code == .internal {
            logger.error("portal request failed", metadata: ["path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
        }
        return errorPage(mapped, request: request, visitor: visitor)
    }
}
