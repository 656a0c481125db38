import Foundation
import Hummingbird
import TapsterCore

/// `/admin/triggers`: the network team's triggers with what their webhooks have seen — fired, opened, suppressed,
/// unmatched, refused, the last alert and what it opened — read through ``TriggerService`` (admins and auditors).
/// Read-only: triggers are made with the CLI or the API, which show the secret once.
struct TriggerPages {
    static let path = "/admin/triggers"

    let portal: Portal

    /// A trigger as the table shows it.
    struct TriggerRow: Sendable {
        let name: String
        let filter: String
        let target: String
        let duration: String
        let before: String
        let rate: String
        let fired: String
        let opened: String
        let suppressed: String
        let unmatched: String
        let refused: String
        let lastAlert: String
        let lastOpened: String
        let webhook: String

        init(_ trigger: Trigger) {
            name = trigger.name
            filter = trigger.spec.filter
            target = trigger.spec.target
            duration = trigger.spec.duration.description
            before = trigger.spec.before?.description ?? "–"
            rate = trigger.spec.effectiveRate.description
            fired = String(trigger.counters.fired)
            opened = String(trigger.counters.opened)
            suppressed = String(trigger.counters.suppressed)
            unmatched = String(trigger.counters.unmatched)
            refused = String(trigger.counters.refused)
            lastAlert = trigger.counters.lastAlertAt.map { "\(DisplayFormat.time($0)): \(trigger.counters.lastAlert ?? "")" } ?? "never"
            lastOpened = trigger.counters.lastOpened ?? "–"
            webhook = trigger.webhookURL ?? trigger.webhookPath
        }
    }

    struct Content: Sendable {
        let triggers: [TriggerRow]
    }

    func register(_ routes: PortalRoutes) {
        let portal = portal
        routes.page("admin/triggers", roles: PortalRoutes.console) { request in
            let triggers = try await portal.triggers.listTriggers(request.principal).map(TriggerRow.init)
            return portal.render("triggers", title: "Triggers", content: Content(triggers: triggers),
                                 request: request.request, visitor: request.visitor)
        }
    }
}
