import Foundation
import Hummingbird
import TapsterCore

/// A link of the navigation bar.
struct NavLink: Sendable {
    let href: String
    let label: String
    let current: Bool
}

/// The frame around every page (the `layout` template): title, navigation, who is signed in,
/// the CSRF token the page's forms carry, and a notice left by the previous action.
struct PageChrome: Sendable {
    let title: String
    let userName: String?
    let roleName: String?
    let nav: [NavLink]
    let csrf: String
    let notice: String?
    let stylesheet: String
    let script: String

    /// The navigation of a role, with the link of the current area marked.
    static func navigation(for visitor: Visitor?, path: String) -> [NavLink] {
        guard let visitor else { return [] }
        var links: [(String, String)]
        if visitor.usesConsole {
            links = [("/admin/taps", "Taps"), (ApprovalPages.path, "Approvals"), ("/admin/targets", "Targets"), ("/admin/filters", "Filters"), ("/admin/grants", "Grants"),
                     ("/admin/tenants", "Tenants"), ("/admin/users", "Users"), ("/admin/inventory", "Inventory"), (TriggerPages.path, "Triggers"), (RecorderPages.path, "Recorders"), (CapturePages.path, "Captures"), (FlowMapPages.path, "Flow map"),
                     ("/admin/audit", "Audit log")]
        } else {
            links = [("/taps", "My taps"), (CapturePages.path, "Captures"), (FlowMapPages.path, "Flow map")]
        }
        links.append((SessionPages.passwordPath, "Password"))
        return links.map { href, label in
            NavLink(href: href, label: label, current: path == href || path.hasPrefix(href + "/"))
        }
    }
}

/// What a template is rendered with: the frame and the page's own content.
struct PageView<Content>: @unchecked Sendable {
    let chrome: PageChrome
    let page: Content
}
