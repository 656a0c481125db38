import CNetns
import Glibc

/// A raw IPv4 socket for GRE (protocol 47) in the namespace of the thread that opened it: it receives a copy
/// of every GRE packet addressed to this host (or to ``localAddress`` only), IPv4 header included.
struct GREReceiveSocket: Sendable {
    let descriptor: Int32

    /// 8 MiB of receive buffer: about 5 000 full-size tunnelled frames while the receive thread is busy.
    static let receiveBufferBytes: Int32 = 8 << 20

    /// Opens the socket in the calling thread's namespace, bound to `localAddress` (an IPv4 address) if given.
    static func open(localAddress: String?) throws(PortDeliveryError) -> GREReceiveSocket {
        let subject = localAddress ?? "any local address"
        var bound = sockaddr_in()
        bound.sin_family = sa_family_t(AF_INET)
        if let localAddress {
            guard inet_pton(AF_INET, localAddress, &bound.sin_addr) == 1 else {
                throw PortDeliveryError(stage: .address, subject: localAddress, reason: "not an IPv4 address")
            }
        }
        let descriptor = socket(AF_INET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), Int32(IPPROTO_GRE))
        guard descriptor >= 0 else { throw PortDeliveryError(stage: .receiveSocket, subject: subject, code: errno) }
        var bufferBytes = receiveBufferBytes
        if setsockopt(descriptor, SOL_SOCKET, SO_RCVBUFFORCE, &bufferBytes, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &bufferBytes, socklen_t(MemoryLayout<Int32>.size))
        }
        if localAddress != nil {
            let result = withUnsafePointer(to: &bound) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard result == 0 else {
                let code = errno
                Glibc.close(descriptor)
                throw PortDeliveryError(stage: .receiveSocket, subject: subject, code: code)
            }
        }
        return GREReceiveSocket(descriptor: descriptor)
    }

    /// Receives, without waiting, up to `capacity` packets into consecutive `slotSize`-byte slots of `arena`,
    /// storing each one's length; returns how many arrived.
    func receiveBatch(into arena: UnsafeMutableRawPointer, slotSize: Int, lengths: UnsafeMutablePointer<Int>, capacity: Int) -> Int {
        // One recvmmsg(2) per batch (at most 64 datagrams).
        Int(cnetns_receive_batch(descriptor, arena.assumingMemoryBound(to: UInt8.self), slotSize, lengths, UInt32(min(capacity, 64))))
    }

    func close() {
        Glibc.close(descriptor)
    }
}
