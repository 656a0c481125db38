import AsyncHTTPClient
import CoreFoundation  // stat's fields, under MemberImportVisibility in release builds
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TapsterCore
import Glibc
import NIOCore
import NIOHTTP1

/// GET requests to the Docker Engine API on its unix socket, on a versioned path (`/v1.41/…`: Docker
/// serves it, and so does Podman's compatible API from 4.0 on), each bounded by a timeout, with the JSON
/// answer decoded into `T`.
struct DockerEngineClient: Sendable {
    /// The API version in every path: what both Docker (20.10+) and Podman 4 serve.
    static let apiVersion = "v1.41"
    /// Longer than a healthy engine ever takes to list or inspect; a hung engine must not hold a scan longer.
    static let timeout: TimeAmount = .seconds(5)
    /// Far above a container list of a thousand containers; only a broken engine sends more.
    static let maximumBodyBytes = 32 << 20

    /// The unix socket, e.g. `/var/run/docker.sock`.
    let socketPath: String

    /// `GET /v1.41<path>`, decoded.
    /// - Throws: ``DockerEngineError``: no socket, a transport failure, a status other than 200, or a body
    ///   that is not a `T`.
    func get<T: Decodable>(_ path: String, as type: T.Type) async throws(DockerEngineError) -> T {
        let request = "GET /\(Self.apiVersion)\(path)"
        func failure(_ problem: DockerEngineError.Problem) -> DockerEngineError {
            DockerEngineError(socketPath: socketPath, request: request, problem: problem)
        }
        if let problem = socketProblem() { throw DockerEngineError(socketPath: socketPath, request: "", problem: problem) }
        guard let url = URL(httpURLWithSocketPath: socketPath, uri: "/\(Self.apiVersion)\(path)") else {
            throw failure(.transport("the socket path cannot be put into a URL"))
        }
        let status: UInt
        let body: ByteBuffer
        do {
            var httpRequest = HTTPClientRequest(url: url.absoluteString)
            // A unix socket has no host name, and Go's HTTP server (Podman's) refuses a request without a Host.
            httpRequest.headers.replaceOrAdd(name: "Host", value: "docker")
            let response = try await HTTPClient.shared.execute(httpRequest, timeout: Self.timeout)
            status = response.status.code
            body = try await response.body.collect(upTo: Self.maximumBodyBytes)
        } catch {
            throw failure(.transport(String(describing: error)))
        }
        guard status == 200 else {
            let excerpt = String(decoding: body.readableBytesView.prefix(DockerEngineError.bodyExcerptLength), as: UTF8.self)
            throw failure(.status(code: status, body: excerpt.trimming(.whitespacesAndNewlines)))
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw failure(.undecodable(String(describing: error)))
        }
    }

    /// Whether the socket path is missing or not a socket: said plainly, rather than as a connect(2) error.
    private func socketProblem() -> DockerEngineError.Problem? {
        var status = Glibc.stat()
        guard stat(socketPath, &status) == 0 else {
            return errno == ENOENT ? .noSocket : .transport("\(socketPath): \(String(cString: strerror(errno)))")
        }
        return status.st_mode & S_IFMT == S_IFSOCK ? nil : .notASocket
    }
}
