import Foundation
import Hummingbird
import TapsterCore

/// `/captures`: the captures the visitor may see — owners their tenants' (their own `tapster capture`s, stored
/// ones, and those a trigger opened for them), the network team every one — with their live counters, and a
/// download button for each complete stored capture.
///
/// The button does not carry a link: it asks ``CaptureService/captureDownloadLink(_:_:)`` for a signed URL at
/// the moment of the click (policy-checked and audited there, like `tapster capture download`) and redirects
/// to it, so a page left open never holds a usable link. `?fragment=list` answers only the list's region, which
/// `portal.js` refreshes every few seconds; without JavaScript the page is complete.
struct CapturePages {
    static let path = "/captures"
    /// Ended captures shown below the live ones; the CLI lists them all.
    static let endedLimit = 50

    let portal: Portal

    /// One capture as the list shows it.
    struct Row: Sendable {
        let id: String
        let selection: String
        let owner: String
        let tenant: String
        let mode: String
        let state: String
        let stateDetail: String?
        let started: String
        let ends: String
        let packets: String
        let drops: String
        let hasDrops: Bool
        let size: String
        let hosts: String
        let downloadable: Bool
    }

    /// What the `capture-list-region` template shows: the part of the page that refreshes.
    struct Region: Sendable {
        let captures: [Row]
        let omitted: Int
        let showOwner: Bool
        let updated: String
        let refreshHref: String
        /// The session's CSRF token for the download forms (the refreshed region is rendered without the page's frame).
        let csrf: String
    }

    /// What the `captures` template shows.
    struct Content: Sendable {
        let region: Region
        let isOwner: Bool
    }

    func register(_ routes: PortalRoutes) {
        let portal = portal
        routes.page("captures") { request in
            let region = try await Self.region(portal, request.principal, consoleView: request.visitor.usesConsole, csrf: request.visitor.csrf)
            if request.request.query("fragment") == "list" {
                return try portal.renderFragment("capture-list-region", content: region)
            }
            return portal.render("captures", title: "Captures", content: Content(region: region, isOwner: !request.visitor.usesConsole),
                                 request: request.request, visitor: request.visitor)
        }
        routes.action("captures/{id}/download") { request, _ in
            let link = try await portal.captures.captureDownloadLink(request.principal, try request.parameter("id"))
            // 303: the browser follows with a GET of the signed path on this same server.
            return Response(status: .seeOther, headers: [.location: link.path, .cacheControl: "no-store"])
        }
    }

    static func region(_ portal: Portal, _ p: Principal, consoleView: Bool, csrf: String) async throws -> Region {
        let captures = try await portal.captures.listCaptures(p)
        let running = { (capture: Capture) in capture.state == .live || capture.state == .pending }
        let live = captures.filter(running).sorted { $0.createdAt > $1.createdAt }
        let ended = captures.filter { !running($0) }.sorted { ($0.endedAt ?? $0.createdAt) > ($1.endedAt ?? $1.createdAt) }
        let shown = live + ended.prefix(endedLimit)
        return Region(captures: shown.map { row($0, now: portal.now) }, omitted: ended.count - min(ended.count, endedLimit),
                      showOwner: consoleView, updated: DisplayFormat.time(portal.now), refreshHref: "\(path)?fragment=list", csrf: csrf)
    }

    static func row(_ capture: Capture, now: Date) -> Row {
        let timeLeft = DisplayFormat.timeLeft(Int(capture.deadline.timeIntervalSince(now).rounded(.up)))
        let detail: String? = switch capture.state {
        case .pending: "waiting for an admin's approval; the request expires in \(timeLeft)"
        case .live: "ends in \(timeLeft)"
        case .failed: capture.failureReason
        case .complete, .deleted: capture.endReason.map { $0.rawValue.replacingOccurrences(of: "_", with: " ") }
        }
        return Row(id: capture.id, selection: "\(capture.filter) → \(capture.target)",
                   owner: capture.owner, tenant: capture.tenant ?? "", mode: capture.mode.rawValue, state: capture.state.rawValue,
                   stateDetail: detail, started: DisplayFormat.time(capture.createdAt),
                   ends: DisplayFormat.time(capture.endedAt ?? capture.deadline), packets: DisplayFormat.count(capture.packets),
                   drops: DisplayFormat.count(capture.drops), hasDrops: capture.drops > 0,
                   size: capture.size > 0 ? DisplayFormat.bytes(UInt64(capture.size)) : "–", hosts: capture.hosts.joined(separator: ", "),
                   downloadable: capture.mode == .store && capture.state == .complete && capture.objectKey != nil)
    }
}
