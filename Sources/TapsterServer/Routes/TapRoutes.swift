import Hummingbird
import TapsterAPI
import TapsterCore

/// `/taps`: owners' self-service.
struct TapRoutes {
    let taps: TapService
    /// Turns `POST /taps` into a tap or a stored capture.
    let creation: TapCreation

    func register(on api: RouterGroup<TapsterRequestContext>) {
        api.list("taps") { request, _, p in try await taps.listTaps(p, states: try Self.states(request.query("state"))) }
        api.endpoint(.post, "taps", status: .created) { request, context, p in
            try await creation.createTap(p, try await request.json(TapRequest.self, context: context))
        }
        api.endpoint(.get, "taps/{id}") { _, context, p in try await taps.tap(p, try context.parameter("id")) }
        api.endpoint(.post, "taps/{id}/stop") { _, context, p in try await taps.stopTap(p, try context.parameter("id")) }
        api.endpoint(.post, "taps/{id}/reactivate", status: .created) { request, context, p in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            let reactivate = body.readableBytes == 0
                ? ReactivateRequest()
                : try JSONCoding.decode(ReactivateRequest.self, from: .init(body.readableBytesView))
            return try await taps.reactivateTap(p, try context.parameter("id"), reactivate)
        }
    }

    /// `?state=active,pending` → the set of states.
    static func states(_ text: String?) throws(TapsterError) -> Set<TapState>? {
        guard let text else { return nil }
        var states = Set<TapState>()
        for word in text.split(separator: ",") {
            guard let state = TapState(rawValue: String(word)) else {
                throw TapsterError(.badRequest, "state \"\(word)\" is not one of \(TapState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            states.insert(state)
        }
        return states
    }
}
