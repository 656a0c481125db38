import Foundation
import Hummingbird
import TapsterAPI
import TapsterCore

/// `/admin/approvals`: the approval queue — every tap (or stored capture, shown as one) waiting for an admin's approval, oldest request first, with
/// approve and reject (reason required) buttons for admins. Whether this admin may decide (never their own request) is
/// the service's answer (``Policy/requireApprover(_:of:)``), shown as an error page like any refusal.
struct ApprovalPages {
    static let path = "/admin/approvals"

    let portal: Portal

    /// One request in the queue.
    struct Row: Sendable {
        let id: String
        let href: String
        let filter: String
        let target: String
        let owner: String
        let tenant: String
        let description: String?
        /// `stored capture <id>` when the request is a stored capture's (it starts when approved).
        let capture: String?
        let duration: String
        let requested: String
        let expiresIn: String
    }

    struct Content: Sendable {
        let rows: [Row]
        let canAct: Bool
    }

    func register(_ routes: PortalRoutes) {
        let portal = portal
        routes.page("admin/approvals", roles: PortalRoutes.console) { request in
            let p = request.principal
            let now = portal.taps.now
            let pending = try await portal.taps.listTaps(p, states: [.pending])
                .filter { $0.approval?.state == .pending }
                .sorted { $0.createdAt < $1.createdAt }
            let rows = pending.map { tap in
                Row(id: tap.id, href: "/taps/\(tap.id)", filter: tap.filter, target: tap.target, owner: tap.owner, tenant: tap.tenant ?? "–",
                    description: tap.description, capture: tap.capture.map { "\($0.mode == .store ? "stored" : "streamed") capture \(tap.id)" },
                    duration: DisplayFormat.duration(seconds: tap.duration.seconds),
                    requested: DisplayFormat.time(tap.createdAt),
                    expiresIn: DisplayFormat.timeLeft(Int(tap.remaining(at: now).rounded(.up))))
            }
            return portal.render("approvals", title: "Approvals", content: Content(rows: rows, canAct: p.isAdmin),
                                 request: request.request, visitor: request.visitor)
        }
        routes.action("admin/approvals/{id}/approve", roles: [.admin]) { request, form in
            let tap = try await portal.taps.approveTap(request.principal, try request.parameter("id"),
                                                       ApprovalDecisionRequest(reason: form.trimmed("reason")))
            return portal.redirect(to: Self.path, notice: "\(tap.capture == nil ? "Tap" : "Stored capture") \(tap.filter) → \(tap.target) of \(tap.owner) approved; it runs until "
                                   + "\(DisplayFormat.time(tap.deadline)).", request: request.request)
        }
        routes.action("admin/approvals/{id}/reject", roles: [.admin]) { request, form in
            let tap = try await portal.taps.rejectTap(request.principal, try request.parameter("id"), ApprovalDecisionRequest(reason: form.trimmed("reason")))
            return portal.redirect(to: Self.path, notice: "Tap \(tap.filter) → \(tap.target) of \(tap.owner) rejected.", request: request.request)
        }
    }
}
