import Foundation
import Hummingbird
import TapsterAPI
import TapsterCore

/// `GET /live/taps?ids=a,b,c`: what `portal.js` polls (every 2 s) to refresh tap pages in place —
/// state, time left, and per-host counters. Authenticated by the session cookie; answers JSON
/// in the API's dialect, and the API's JSON errors (401 when the session ended).
struct LiveTapEndpoint {
    static let maximumTaps = 100

    let portal: Portal

    /// One host's status of a tap: the raw counters and how the page writes them.
    struct LiveAgent: Codable, Sendable {
        let agent: String
        let state: String
        let reason: String?
        let packets: UInt64
        let bytes: UInt64
        let drops: UInt64
        let updatedAt: Date
        let packetsText: String
        let bytesText: String
        let dropsText: String
    }

    /// One tap's live status.
    struct LiveTap: Codable, Sendable {
        let id: String
        let state: String
        let stateDetail: String?
        let live: Bool
        let remainingSeconds: Int
        let timeLeft: String
        let agents: [LiveAgent]
    }

    func register(_ routes: PortalRoutes) {
        let portal = portal
        routes.router.get("live/taps") { request, _ in
            guard let visitor = try await portal.visitor(of: request) else {
                throw TapsterError(.unauthenticated, "the portal session has ended; sign in again")
            }
            guard !visitor.user.mustChangePassword else {
                throw TapsterError(.passwordChangeRequired, "change your one-time password first")
            }
            let ids = (request.uri.queryParameters.get("ids") ?? "").split(separator: ",").prefix(Self.maximumTaps)
            var items: [LiveTap] = []
            for id in ids {
                guard let tap = try? await portal.taps.tap(visitor.principal, String(id)) else { continue }
                items.append(Self.live(tap, now: portal.now))
            }
            var response = try JSONCoding.response(ItemList(items: items))
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }

    static func live(_ tap: Tap, now: Date) -> LiveTap {
        let row = TapRow(tap, now: now, returnTo: "")
        return LiveTap(
            id: tap.id, state: row.state, stateDetail: row.stateDetail, live: row.live, remainingSeconds: row.remainingSeconds,
            timeLeft: row.timeLeft,
            agents: (tap.agents ?? []).sorted { $0.agent < $1.agent }.map {
                LiveAgent(agent: $0.agent, state: $0.state.rawValue, reason: $0.reason, packets: $0.packets, bytes: $0.bytes, drops: $0.drops,
                          updatedAt: $0.updatedAt, packetsText: DisplayFormat.count($0.packets), bytesText: DisplayFormat.bytes($0.bytes),
                          dropsText: DisplayFormat.count($0.drops))
            })
    }
}
