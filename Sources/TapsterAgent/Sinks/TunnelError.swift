#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import PacketKit

/// Why a ``TunnelSink`` could not be made.
public enum TunnelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A value does not fit its header field (an ERSPAN session id above 1023, a VNI above 2²⁴−1).
    case invalidConfiguration(EncapsulationError)
    /// The system refused the socket (`EPERM` without `CAP_NET_RAW` for a raw GRE socket, …).
    case socket(kind: String, code: Int32)

    /// `cannot open a raw IP socket for GRE (protocol 47): Operation not permitted`.
    public var description: String {
        switch self {
        case .invalidConfiguration(let error): "invalid tunnel: \(error)"
        case .socket(let kind, let code): "cannot open \(kind): \(String(cString: strerror(code)))"
        }
    }
}
