import Foundation
import Hummingbird
import TapsterCore

/// `/admin/taps`: every tap of every tenant, live first, with per-host counters and force-stop.
struct ConsoleTapPages {
    static let endedShown = 100

    let portal: Portal

    func register(_ routes: PortalRoutes) {
        let portal = portal
        routes.page("admin/taps", roles: PortalRoutes.console) { request in
            let p = request.principal
            let (rows, omitted) = try await portal.tapRows(p, try await portal.taps.listTaps(p), endedLimit: Self.endedShown,
                                                           returnTo: "/admin/taps")
            return portal.render("console-taps", title: "Taps", content: TapTable(taps: rows, omitted: omitted, canAct: p.isAdmin, canReactivate: false, stopLabel: "Force stop"),
                                 request: request.request, visitor: request.visitor)
        }
    }
}
