import Foundation
import Hummingbird
import TapsterCore

/// `/triggers`: admins define detection-engine triggers; `POST /triggers/{id}/webhook` is the engine's,
/// authenticated by the trigger's secret rather than a user's token.
struct TriggerRoutes {
    let triggers: TriggerService

    func register(on api: RouterGroup<TapsterRequestContext>) {
        api.list("triggers") { _, _, p in try await triggers.listTriggers(p) }
        api.endpoint(.post, "triggers", status: .created) { request, context, p in
            try await triggers.createTrigger(p, try await request.json(TriggerSpec.self, context: context))
        }
        api.endpoint(.get, "triggers/{ref}") { _, context, p in try await triggers.trigger(p, try context.parameter("ref")) }
        api.noContent(.delete, "triggers/{ref}") { _, context, p in try await triggers.deleteTrigger(p, try context.parameter("ref")) }
        api.endpoint(.post, "triggers/{ref}/rotate-secret") { _, context, p in
            try await triggers.rotateSecret(p, try context.parameter("ref"))
        }
        // No user token: the trigger's secret (bearer or HMAC of the body) is the credential.
        api.post("triggers/{ref}/webhook") { request, context in
            let receivedAt = triggers.now
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: AlertPayload.maximumBytes)
            } catch {
                throw TapsterError(.badRequest, "the body is larger than \(AlertPayload.maximumBytes / 1024) KiB")
            }
            let call = TriggerCall(triggerID: try context.parameter("ref"), body: Data(body.readableBytesView),
                                   authorization: request.headers[.authorization], signature: request.headers[TriggerSignature.header],
                                   remoteAddress: context.remoteAddress, receivedAt: receivedAt)
            let (firing, opened) = try await triggers.fire(call)
            return try JSONCoding.response(firing, status: opened ? .created : .ok)
        }
    }

    /// Whether `request` is a webhook call, which the token authenticator leaves to the trigger's own check
    /// (its `Authorization: Bearer` carries a trigger secret, not an API token).
    static func isWebhook(_ request: Request) -> Bool {
        request.method == .post && request.uri.path.hasPrefix("/api/v1/triggers/") && request.uri.path.hasSuffix("/webhook")
    }
}
