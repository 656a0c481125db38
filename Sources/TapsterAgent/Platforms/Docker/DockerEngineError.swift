/// Why the Docker Engine API (Docker's, or Podman's compatible one) could not be asked: no socket at the
/// path, a connection or request that failed, an answer other than 200, or a body that is not what the API
/// documents. Its description names the socket and the request, so one log line says what to fix.
public struct DockerEngineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Problem: Sendable, Equatable {
        /// Nothing exists at the socket path.
        case noSocket
        /// Something exists at the path, but it is not a unix socket.
        case notASocket
        /// Connecting or exchanging the request failed (refused, timed out, closed); the transport's words.
        case transport(String)
        /// The engine answered with a status other than 200: the status and the start of the body.
        case status(code: UInt, body: String)
        /// A 200 answer whose body could not be decoded; the decoder's words.
        case undecodable(String)
    }

    /// The unix socket asked, e.g. `/run/podman/podman.sock`.
    public var socketPath: String
    /// The request, e.g. `GET /v1.41/containers/json`; empty when the socket was not even tried.
    public var request: String
    /// What went wrong.
    public var problem: Problem

    /// Describes a failed request.
    public init(socketPath: String, request: String, problem: Problem) {
        self.socketPath = socketPath
        self.request = request
        self.problem = problem
    }

    /// `Docker Engine API at unix:///run/podman/podman.sock: GET /v1.41/containers/json: HTTP 500: {"message":…}`.
    public var description: String {
        let what: String = switch problem {
        case .noSocket: "no socket at \(socketPath)"
        case .notASocket: "\(socketPath) is not a unix socket"
        case .transport(let reason): reason
        case .status(let code, let body): body.isEmpty ? "HTTP \(code)" : "HTTP \(code): \(body)"
        case .undecodable(let reason): "unexpected answer: \(reason)"
        }
        return (["Docker Engine API at unix://\(socketPath)"] + (request.isEmpty ? [] : [request]) + [what]).joined(separator: ": ")
    }

    /// At most this many characters of an error body are kept: enough for the engine's `message`.
    static let bodyExcerptLength = 300
}
