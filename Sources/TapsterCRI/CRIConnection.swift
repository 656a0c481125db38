import GRPCCore
import GRPCNIOTransportHTTP2

/// A long-lived gRPC connection to a container runtime's CRI socket (containerd, CRI-O, cri-dockerd):
/// the `RuntimeService` client over a unix socket, kept open between calls so that polling the runtime
/// every second costs a request, not a new HTTP/2 connection.
///
/// The connection is made lazily and remade by gRPC when the runtime restarts; a call while the socket
/// cannot be reached fails at once (it does not wait for the runtime), and every call has a deadline.
public final class CRIConnection: Sendable {
    /// The runtime's socket, e.g. `/run/containerd/containerd.sock`.
    public let socketPath: String
    /// The runtime service; each call should pass ``callOptions``.
    public let runtime: Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>
    /// Fail fast when the socket cannot be reached, and give up on a call after `timeout`.
    public let callOptions: CallOptions
    private let client: GRPCClient<HTTP2ClientTransport.Posix>
    private let connections: Task<Void, Never>

    /// Opens (lazily) a connection to the CRI socket at `socketPath` (a path, or a `unix://` URL as kubelet
    /// takes it); calls give up after `timeout`.
    public init(socketPath: String, timeout: Duration = .seconds(5)) throws(CRIError) {
        let path = socketPath.hasPrefix("unix://") ? String(socketPath.dropFirst("unix://".count)) : socketPath
        self.socketPath = path
        let transport: HTTP2ClientTransport.Posix
        do {
            // Reconnect within about two seconds of the runtime coming back (gRPC's default backoff grows to minutes).
            var config = HTTP2ClientTransport.Posix.Config.defaults
            config.backoff = .init(initial: .milliseconds(250), max: .seconds(2), multiplier: 1.6, jitter: 0.2)
            transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: path), transportSecurity: .plaintext, config: config)
        } catch {
            throw CRIError(socketPath: path, operation: "connecting", reason: "\(error)")
        }
        let client = GRPCClient(transport: transport)
        self.client = client
        runtime = Runtime_V1_RuntimeService.Client(wrapping: client)
        var options = CallOptions.defaults
        options.timeout = timeout
        options.waitForReady = false
        callOptions = options
        connections = Task { try? await client.runConnections() }
    }

    /// Closes the connection: calls in flight finish, later ones fail.
    public func close() {
        client.beginGracefulShutdown()
    }

    deinit {
        client.beginGracefulShutdown()
    }

    /// Runs `call` (a call of ``runtime``, named `operation` in errors), turning any failure into a ``CRIError``.
    public func call<Result: Sendable>(
        _ operation: String,
        _ call: (Runtime_V1_RuntimeService.Client<HTTP2ClientTransport.Posix>, CallOptions) async throws -> Result
    ) async throws(CRIError) -> Result {
        do {
            return try await call(runtime, callOptions)
        } catch let error as RPCError {
            throw CRIError(socketPath: socketPath, operation: operation, reason: "\(error.code): \(error.message)")
        } catch {
            throw CRIError(socketPath: socketPath, operation: operation, reason: "\(error)")
        }
    }
}

/// A CRI call that failed: the runtime's socket cannot be reached, or the runtime refused the call.
public struct CRIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The runtime's socket.
    public var socketPath: String
    /// The call, e.g. `ListPodSandbox`.
    public var operation: String
    /// What gRPC or the runtime said.
    public var reason: String

    /// Describes a failed `operation` on the runtime at `socketPath`.
    public init(socketPath: String, operation: String, reason: String) {
        self.socketPath = socketPath
        self.operation = operation
        self.reason = reason
    }

    /// `CRI ListPodSandbox on unix:///run/containerd/containerd.sock failed: unavailable: …`.
    public var description: String { "CRI \(operation) on unix://\(socketPath) failed: \(reason)" }
}
