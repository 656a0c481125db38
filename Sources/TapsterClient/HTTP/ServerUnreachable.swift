import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// The Tapster server could not be reached at all: refused, unresolvable, timed out.
public struct ServerUnreachable: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server URL that was tried.
    public var server: String
    /// What went wrong, in a few words (`connection refused`).
    public var reason: String

    public init(server: String, reason: String) {
        self.server = server
        self.reason = reason
    }

    public var description: String { "cannot reach Tapster at \(server): \(reason)" }

    /// Classifies an error of the HTTP client, or returns `nil` when it is not a connection failure.
    static func classify(_ error: any Error, server: String) -> ServerUnreachable? {
        reason(for: error).map { ServerUnreachable(server: server, reason: $0) }
    }

    private static func reason(for error: any Error) -> String? {
        switch error {
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return reason(for: first.error) ?? "\(first.error)" }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "cannot resolve host \(error.host)" }
            return "cannot connect to \(error.host):\(error.port)"
        case let error as IOError:
            return errnoReason(error.errnoCode) ?? error.description
        case let error as ChannelError:
            if case .connectTimeout = error { return "connection timed out" }
            return nil
        case let error as HTTPClientError:
            switch error {
            case .connectTimeout: return "connection timed out"
            case .deadlineExceeded, .readTimeout, .writeTimeout: return "no answer in time (timed out)"
            case .remoteConnectionClosed: return "the server closed the connection"
            case .invalidURL, .emptyHost, .emptyScheme: return "invalid server URL"
            default: return nil
            }
        case let error as SocketAddressError:
            return "cannot resolve host (\(error))"
        default:
            return nil
        }
    }

    private static func errnoReason(_ code: Int32) -> String? {
        switch code {
        case ECONNREFUSED: "connection refused"
        case ENETUNREACH: "network is unreachable"
        case EHOSTUNREACH: "no route to host"
        case ETIMEDOUT: "connection timed out"
        case ECONNRESET: "connection reset by peer"
        default: nil
        }
    }
}
