import Foundation
import Hummingbird
import TapsterAPI
import TapsterCore

/// `/admin/recorders`: the network team's flight recorders with what each host's ring holds — memory against its
/// reservation, packets, how far back it reaches, evictions by the byte limit and kernel drops — read through
/// ``RecorderService`` (admins and auditors). Read-only: recorders are made with the CLI or the API.
struct RecorderPages {
    static let path = "/admin/recorders"

    let portal: Portal

    /// One host's ring of a recorder, as the table shows it.
    struct HostRow: Sendable {
        let host: String
        let held: String
        let packets: String
        let reaches: String
        let captured: String
        let evicted: String
        let expired: String
        let kernelDrops: String
        let sources: String
        let failures: String

        init(_ status: RecorderHostStatus) {
            host = status.host
            held = "\(DisplayFormat.bytes(status.bytesHeld)) of \(DisplayFormat.bytes(status.bytesReserved))"
            packets = DisplayFormat.count(status.packetsHeld)
            // The ring's age: the longest `--before` a capture can ask of this host now.
            reaches = status.packetsHeld == 0 ? "–" : String(format: "%.1f s", Double(status.oldestAgeMilliseconds) / 1000)
            captured = DisplayFormat.count(status.captured)
            evicted = DisplayFormat.count(status.evicted)
            expired = DisplayFormat.count(status.expired)
            kernelDrops = DisplayFormat.count(status.kernelDrops)
            sources = String(status.sources)
            failures = status.failures.joined(separator: "; ")
        }
    }

    /// A recorder as the page shows it: its definition, then one row per host recording it.
    struct RecorderRow: Sendable {
        let name: String
        let filter: String
        let window: String
        let maxBytes: String
        let description: String?
        let hosts: [HostRow]

        init(_ view: RecorderView) {
            name = view.recorder.name
            filter = view.recorder.spec.filter
            window = view.recorder.spec.window.description
            maxBytes = DisplayFormat.bytes(view.recorder.spec.maxBytes)
            description = view.recorder.spec.description
            hosts = view.hosts.sorted { $0.host < $1.host }.map(HostRow.init)
        }
    }

    struct Content: Sendable {
        let recorders: [RecorderRow]
    }

    func register(_ routes: PortalRoutes) {
        let portal = portal
        routes.page("admin/recorders", roles: PortalRoutes.console) { request in
            let recorders = try await portal.recorders.listRecorders(request.principal).map(RecorderRow.init)
            return portal.render("recorders", title: "Recorders", content: Content(recorders: recorders),
                                 request: request.request, visitor: request.visitor)
        }
    }
}
