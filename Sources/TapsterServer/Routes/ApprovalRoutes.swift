import Hummingbird
import TapsterAPI
import TapsterCore

/// Four-eyes approval: `/taps/{id}/approve`, `/taps/{id}/reject` (admins other than the requester), and
/// `/policy/approval` (whether full-payload taps need approval by default).
struct ApprovalRoutes {
    let taps: TapService

    func register(on api: RouterGroup<TapsterRequestContext>) {
        api.endpoint(.post, "taps/{id}/approve") { request, context, p in
            try await taps.approveTap(p, try context.parameter("id"), try await Self.decision(request, context))
        }
        api.endpoint(.post, "taps/{id}/reject") { request, context, p in
            try await taps.rejectTap(p, try context.parameter("id"), try await Self.decision(request, context))
        }
        api.endpoint(.get, "policy/approval") { _, _, p in try await taps.approvalSettings(p) }
        api.endpoint(.put, "policy/approval") { request, context, p in
            let settings = try await request.json(ApprovalSettings.self, context: context)
            return try await taps.setFullPayloadNeedsApproval(p, settings.approvalForFullPayload)
        }
    }

    /// The body's `{reason}`; an empty body is no reason.
    static func decision(_ request: Request, _ context: TapsterRequestContext) async throws -> ApprovalDecisionRequest {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        return body.readableBytes == 0 ? ApprovalDecisionRequest() : try JSONCoding.decode(ApprovalDecisionRequest.self, from: .init(body.readableBytesView))
    }
}
