import Hummingbird
import TapsterCore

/// `/recorders`: flight recorders (admins; auditors read).
struct RecorderRoutes {
    let recorders: RecorderService

    func register(on api: RouterGroup<TapsterRequestContext>) {
        api.list("recorders") { _, _, p in try await recorders.listRecorders(p) }
        api.endpoint(.post, "recorders", status: .created) { request, context, p in
            try await recorders.createRecorder(p, try await request.json(RecorderSpec.self, context: context))
        }
        api.endpoint(.get, "recorders/{ref}") { _, context, p in
            try await recorders.recorder(p, try context.parameter("ref"))
        }
        api.noContent(.delete, "recorders/{ref}") { _, context, p in
            try await recorders.deleteRecorder(p, try context.parameter("ref"))
        }
    }
}
