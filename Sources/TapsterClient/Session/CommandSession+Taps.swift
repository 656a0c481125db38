import TapsterAPI
import TapsterCore

/// Taps: create, stop, re-activate.
extension CommandSession {
    /// Opens a tap; the API's warnings (e.g. no workload matched yet) go to standard error.
    public func createTap(_ request: TapRequest) async throws {
        try showTap(try await client.post(Resources.taps.url, body: request, as: TapView.self))
    }

    /// Stops a live tap.
    public func stopTap(_ id: String) async throws {
        try show(try await client.post(Resources.taps.url(id, "stop"), as: Tap.self))
    }

    /// Re-opens an ended tap for `duration` (the earlier duration when `nil`), as a new tap.
    public func reactivateTap(_ id: String, duration: TapDuration?) async throws {
        let body = ReactivateRequest(duration: duration)
        try showTap(try await client.post(Resources.taps.url(id, "reactivate"), body: body, as: TapView.self))
    }

    private func showTap(_ answer: APIResponse<TapView>) throws {
        for warning in answer.value.warnings { warn(warning) }
        try show(answer)
    }

    /// `?state=…` for a tap listing: the given states, all states, or — by default — the live ones.
    public static func tapQuery(states: [TapState], all: Bool) -> String {
        if all { return "" }
        let chosen = states.isEmpty ? TapState.allCases.filter(\.isLive) : states
        return APIPath.query(["state": chosen.map(\.rawValue).joined(separator: ",")])
    }
}
