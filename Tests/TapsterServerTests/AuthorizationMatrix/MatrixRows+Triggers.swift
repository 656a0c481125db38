import HTTPTypes
import TapsterCore

/// Triggers: the network team's (admins make and change them, the auditor reads them, owners neither); the
/// webhook takes no user token — every caller's token is a wrong trigger secret (401).
extension MatrixRow {
    static let triggers: [MatrixRow] = [
        MatrixRow(.get, "/admin/triggers", consolePage),
        MatrixRow(.get, "/api/v1/triggers", .console(auditor: 200, admin: 200)),
        MatrixRow(.post, "/api/v1/triggers", adminOnly(201)) { _, _ in
            MatrixRequest(path: "/api/v1/triggers",
                          json: #"{"name": "\#(MatrixWorld.unique("t"))", "filter": "web-to-db", "target": "archive", "duration": "5m"}"#)
        },
        MatrixRow(.get, "/api/v1/triggers/{ref}", .console(auditor: 200, admin: 200)) { world, _ in
            MatrixRequest(path: "/api/v1/triggers/\(try await trigger(world))")
        },
        MatrixRow(.delete, "/api/v1/triggers/{ref}", adminOnly(204)) { world, _ in
            MatrixRequest(path: "/api/v1/triggers/\(try await trigger(world))")
        },
        MatrixRow(.post, "/api/v1/triggers/{ref}/rotate-secret", adminOnly(200)) { world, _ in
            MatrixRequest(path: "/api/v1/triggers/\(try await trigger(world))/rotate-secret")
        },
        MatrixRow(.post, "/api/v1/triggers/{ref}/webhook", .open(401)) { world, _ in
            MatrixRequest(path: "/api/v1/triggers/\(try await trigger(world))/webhook", json: #"{"reason": "test", "selector": "app=web"}"#)
        },
    ]

    /// A new trigger on the world's filter and store target, by id.
    static func trigger(_ world: MatrixWorld) async throws -> String {
        try await world.api.expect(TriggerCreated.self, .post, "/api/v1/triggers", token: world.admin, json: TriggerSpec(
            name: MatrixWorld.unique("t"), filter: "web-to-db", target: "archive", duration: TapDuration(seconds: 300))).trigger.id
    }
}
