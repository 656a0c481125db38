import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle
import TapsterAPI
import TapsterCore
import TapsterObjectStore

/// `/captures`: tcpdump across the fleet — start, list, stream live, download stored, entitle readers, delete.
struct CaptureRoutes {
    let captures: CaptureService

    /// The media type of a pcapng stream or file.
    static let pcapng = "application/x-pcapng"

    func register(on api: RouterGroup<TapsterRequestContext>) {
        api.list("captures") { request, _, p in try await captures.listCaptures(p, states: try Self.states(request.query("state"))) }
        api.endpoint(.post, "captures", status: .created) { request, context, p in
            try await captures.createCapture(p, try await request.json(CaptureRequest.self, context: context))
        }
        api.endpoint(.get, "captures/{id}") { _, context, p in try await captures.capture(p, try context.parameter("id")) }
        api.noContent(.delete, "captures/{id}") { _, context, p in try await captures.deleteCapture(p, try context.parameter("id")) }
        api.endpoint(.post, "captures/{id}/download-url") { _, context, p in
            try await captures.captureDownloadLink(p, try context.parameter("id"))
        }
        // Admins only: whom else the policy lets read the packets (listed in the capture's record).
        api.endpoint(.post, "captures/{id}/readers") { request, context, p in
            try await captures.entitleCaptureReader(p, try context.parameter("id"), try await request.json(CaptureReaderRequest.self, context: context))
        }
        api.noContent(.delete, "captures/{id}/readers/{user}") { _, context, p in
            try await captures.revokeCaptureReader(p, try context.parameter("id"), user: try context.parameter("user"))
        }
        api.get("captures/{id}/stream") { _, context in
            let p = try context.requirePrincipal()
            let id = try context.parameter("id")
            let reader = try await captures.captureReader(p, id)
            return Self.stream(reader, closed: context.connectionClosed) { reason in
                await captures.captureReaderDetached(p, id, reason: reason)
            }
        }
        // No token: the signed URL is the credential.
        api.get("captures/{id}/download") { request, context in
            let id = try context.parameter("id")
            let items = request.uri.queryParameters.map { URLQueryItem(name: String($0.key), value: String($0.value)) }
            let (capture, download) = try await captures.downloadCapture(id, queryItems: items, remoteAddress: context.remoteAddress)
            return Response(
                status: .ok,
                headers: [.contentType: Self.pcapng, .contentDisposition: "attachment; filename=\"capture-\(capture.id).pcapng\"",
                          .cacheControl: "no-store"],
                body: ResponseBody(contentLength: Int(download.size)) { writer in
                    for try await chunk in download.body { try await writer.write(chunk) }
                    try await writer.finish(nil)
                })
        }
    }

    /// The live pcapng, chunked, to its end. A reader that goes away — its connection closes, or a
    /// write fails — stops the capture (`client_gone`). `detached` learns how the reading ended
    /// (`ended` or `reader_gone`), once.
    static func stream(_ reader: CaptureReader, closed: EventLoopFuture<Void>,
                       detached: @escaping @Sendable (String) async -> Void) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: pcapng, .cacheControl: "no-store", .contentDisposition: "inline; filename=\"capture-\(reader.session.id).pcapng\""],
            body: ResponseBody { writer in
                closed.whenComplete { _ in Task { await reader.gone() } }
                do {
                    // When the server shuts down the capture ends, so the stream ends with its statistics
                    // rather than holding the shutdown up until the capture's deadline.
                    try await withGracefulShutdownHandler {
                        for try await chunk in reader.bytes { try await writer.write(chunk) }
                    } onGracefulShutdown: {
                        Task { await reader.serverShuttingDown() }
                    }
                    try await writer.finish(nil)
                } catch {
                    await reader.gone()
                    await detached("reader_gone")
                    throw error
                }
                await detached("ended")
            })
    }

    /// `?state=live,complete` → the set of states.
    static func states(_ text: String?) throws(TapsterError) -> Set<Capture.State>? {
        guard let text else { return nil }
        var states = Set<Capture.State>()
        for word in text.split(separator: ",") {
            guard let state = Capture.State(rawValue: String(word)) else {
                throw TapsterError(.badRequest, "state \"\(word)\" is not one of \(Capture.State.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            states.insert(state)
        }
        return states
    }
}
