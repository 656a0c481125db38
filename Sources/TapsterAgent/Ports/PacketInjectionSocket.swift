import CNetns
import Glibc

/// A send-only `AF_PACKET` raw socket bound to one interface: each frame written to it leaves through that
/// interface as it is (the kernel adds nothing), and every packet socket on the interface — tcpdump's —
/// sees it go out. The socket belongs to the namespace of the thread that opened it, wherever it is used.
/// Port delivery binds it to the other end of the port's veth (``VethPeer``), so the port receives the frames.
struct PacketInjectionSocket: Sendable {
    /// The socket.
    let descriptor: Int32
    /// The interface's index in its namespace.
    let interfaceIndex: Int32

    /// 4 MiB of send buffer: bursts wait in the kernel instead of being dropped.
    static let sendBufferBytes: Int32 = 4 << 20

    /// Opens the socket for the interface with `index` in the calling thread's namespace; `subject` names the
    /// port in errors.
    static func open(interfaceIndex index: Int32, subject: String) throws(PortDeliveryError) -> PacketInjectionSocket {
        // Protocol 0: the socket receives nothing; it only sends.
        let descriptor = socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw PortDeliveryError(stage: .injectionSocket, subject: subject, code: errno) }
        var bufferBytes = sendBufferBytes
        if setsockopt(descriptor, SOL_SOCKET, SO_SNDBUFFORCE, &bufferBytes, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &bufferBytes, socklen_t(MemoryLayout<Int32>.size))
        }
        // struct sockaddr_ll (which Swift's Glibc module does not expose): family, protocol, ifindex, then zeros.
        var address = (UInt64(0), UInt64(0), UInt32(0))
        let bound = withUnsafeMutableBytes(of: &address) { raw -> Int32 in
            raw.storeBytes(of: UInt16(AF_PACKET), toByteOffset: 0, as: UInt16.self)
            raw.storeBytes(of: index, toByteOffset: 4, as: Int32.self)
            return bind(descriptor, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), 20)
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(descriptor)
            throw PortDeliveryError(stage: .injectionSocket, subject: subject, code: code)
        }
        return PacketInjectionSocket(descriptor: descriptor, interfaceIndex: index)
    }

    /// Closes the socket.
    func close() {
        Glibc.close(descriptor)
    }
}
