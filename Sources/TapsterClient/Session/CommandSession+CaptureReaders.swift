import TapsterAPI
import TapsterCore

/// The users an admin entitled to read a capture's packets: listed from the capture's record, added
/// and removed by admins (`/captures/{id}/readers`).
extension CommandSession {
    /// Prints the readers of capture `id` (as `{"items": [...]}` in JSON and YAML).
    public func listCaptureReaders(_ id: String) async throws {
        try showReaders(try await client.get(Resources.captures.url(id), as: Capture.self))
    }

    /// Entitles `user` to read the packets of capture `id`, then prints its readers.
    public func addCaptureReader(_ id: String, user: String) async throws {
        try showReaders(try await client.post(Resources.captures.url(id, "readers"), body: CaptureReaderRequest(user: user), as: Capture.self))
    }

    /// Ends `user`'s entitlement to read the packets of capture `id`.
    public func removeCaptureReader(_ id: String, user: String) async throws {
        try await client.delete(Resources.captures.url(id, "readers/" + APIPath.escape(user)))
        try say("user \"\(user)\" may no longer read the packets of capture \(id)")
    }

    private func showReaders(_ answer: APIResponse<Capture>) throws {
        try show(APIResponse(value: answer.value.readers ?? [], json: .object(["items": answer.json["readers"] ?? .array([])])))
    }
}
