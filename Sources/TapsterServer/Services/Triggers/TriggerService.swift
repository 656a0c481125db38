import Foundation
import TapsterCore

/// Triggers: admins define them (``createTrigger(_:_:)``), detection engines call their webhook
/// (``fire(_:_:)``). A firing opens a stored capture (through ``CaptureService``) or a mirroring tap (through
/// ``TapService``) as the trigger's owner, narrowed to the workloads the alert points at within the trigger's
/// filter, at most as often as its rate allows across every replica; everything is audited with the alert's text.
public struct TriggerService: ContextualService {
    let context: ServiceContext
    let catalog: CatalogService
    let taps: TapService
    let captures: CaptureService
    /// Audits refused webhook calls, rate-limited (anyone who knows a webhook URL can provoke them).
    let refusals: RefusalAuditor
    /// Where users and engines reach the server, for the webhook's absolute URL.
    let externalURL: ExternalURL?
}

/// One webhook call as the route hands it over: which trigger, the raw body and what authenticates it.
struct TriggerCall: Sendable {
    var triggerID: String
    var body: Data
    /// `Authorization` (bearer secret) and `X-Tapster-Signature` (HMAC of ``body``), when sent.
    var authorization: String?
    var signature: String?
    var remoteAddress: String
    var receivedAt: Date
}
