import Foundation
import Hummingbird
import TapsterCore

/// Who is using the portal: the signed-in user, and the CSRF token of their session.
struct Visitor: Sendable {
    let user: User
    let csrf: String

    var principal: Principal { user.principal }
    /// Admins and auditors use the console; owners their self-service page.
    var usesConsole: Bool { user.role != .owner }

    /// Where this visitor starts.
    var home: String { Self.home(for: user.role) }

    /// Where a role starts: the owner's taps, the admin's taps, the auditor's audit log.
    static func home(for role: Role) -> String {
        switch role {
        case .owner: "/taps"
        case .admin: "/admin/taps"
        case .auditor: "/admin/audit"
        }
    }
}

/// A portal request once its visitor is known.
struct PortalRequest: Sendable {
    let request: Request
    let context: TapsterRequestContext
    let visitor: Visitor

    var principal: Principal { visitor.principal }

    /// A path parameter that the route pattern guarantees.
    func parameter(_ name: String) throws -> String {
        try context.parameter(name)
    }
}

extension Portal {
    /// The visitor whose session cookie the request carries; `nil` without one, or when it expired.
    func visitor(of request: Request) async throws -> Visitor? {
        guard let secret = PortalCookies.value(PortalCookies.session, in: request) else { return nil }
        do {
            let user = try await identity.authenticateSession(secret).user
            return Visitor(user: user, csrf: CSRF.token(for: secret))
        } catch let error as TapsterError where error.code == .unauthenticated {
            return nil
        }
    }
}
