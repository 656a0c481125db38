import HTTPTypes
import TapsterAPI
import TapsterCore

/// Flight recorders: the network team's (admins make and delete them, the auditor reads them, owners neither —
/// a recorder keeps packets of any tenant's workloads on their hosts).
extension MatrixRow {
    static let recorders: [MatrixRow] = [
        MatrixRow(.get, "/admin/recorders", consolePage),
        MatrixRow(.get, "/api/v1/recorders", .console(auditor: 200, admin: 200)),
        MatrixRow(.post, "/api/v1/recorders", adminOnly(201)) { _, _ in
            MatrixRequest(path: "/api/v1/recorders",
                          json: #"{"name": "\#(MatrixWorld.unique("r"))", "filter": "web-to-db", "window": "30s", "maxBytes": 8388608}"#)
        },
        MatrixRow(.get, "/api/v1/recorders/{ref}", .console(auditor: 200, admin: 200)) { world, _ in
            MatrixRequest(path: "/api/v1/recorders/\(try await recorder(world))")
        },
        MatrixRow(.delete, "/api/v1/recorders/{ref}", adminOnly(204)) { world, _ in
            MatrixRequest(path: "/api/v1/recorders/\(try await recorder(world))")
        },
    ]

    /// A new recorder of the world's filter, by id.
    static func recorder(_ world: MatrixWorld) async throws -> String {
        try await world.api.expect(RecorderView.self, .post, "/api/v1/recorders", token: world.admin, json: RecorderSpec(
            name: MatrixWorld.unique("r"), filter: "web-to-db", window: TapDuration(seconds: 30), maxBytes: 8 << 20)).recorder.id
    }
}
