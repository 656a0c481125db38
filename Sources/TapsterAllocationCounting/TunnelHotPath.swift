import Foundation
import PacketKit
import TapsterAgent

/// Capture → tunnel sink: frames handed to a ``TunnelSink`` as the capture loop hands them over (a flush
/// after every round of 128), encapsulated and sent to 127.0.0.1 — VXLAN to a UDP socket this path opens
/// and drains after each flush, the GRE-based tunnels through a raw socket (root or `CAP_NET_RAW`) to
/// the loopback address, where nothing listens.
public final class TunnelHotPath: HotPath {
    /// The tunnels to choose from.
    public enum Tunnel: CaseIterable, Sendable {
        case erspanII, erspanIII, vxlan, greTEB
    }

    public let name: String
    private let sink: TunnelSink
    private let receiver: Int32
    private let receiveBuffer: UnsafeMutableRawBufferPointer
    private var clock = CapturedFrame.firstTimestamp

    /// Opens the tunnel's socket (and, for VXLAN, the receiving socket it sends to).
    public init(_ tunnel: Tunnel) throws(HotPathError) {
        receiveBuffer = .allocate(byteCount: 65_536, alignment: 16)
        var encapsulation: TunnelEncapsulation
        switch tunnel {
        case .erspanII: encapsulation = .erspanII(sessionID: 7)
        case .erspanIII: encapsulation = .erspanIII(sessionID: 7)
        case .greTEB: encapsulation = .gre(key: 42)
        case .vxlan: encapsulation = .vxlan(vni: 5001, port: 0)
        }
        let path = "capture → tunnel sink (\(encapsulation))"
        if tunnel == .vxlan {
            let (socket, port) = try Self.openReceiver(path: path)
            receiver = socket
            encapsulation = .vxlan(vni: 5001, port: port)
            name = "capture → tunnel sink (VXLAN, to a UDP socket drained)"
        } else {
            receiver = -1
            name = path
        }
        do {
            sink = try TunnelSink(encapsulation: encapsulation, destination: IPv4Address(127, 0, 0, 1))
        } catch {
            if receiver >= 0 { close(receiver) }
            receiveBuffer.deallocate()
            throw HotPathError(path: path, reason: error.description)
        }
    }

    deinit {
        sink.close()
        if receiver >= 0 { close(receiver) }
        receiveBuffer.deallocate()
    }

    public func run(packets: Int) -> Int {
        CapturedFrame.capture(packets, into: sink, clock: &clock) { drain() }
    }

    /// Reads every datagram waiting on the receiving socket, so that its buffer never fills.
    private func drain() {
        guard receiver >= 0 else { return }
        while recv(receiver, receiveBuffer.baseAddress, receiveBuffer.count, Int32(MSG_DONTWAIT)) > 0 {}
    }

    /// A UDP socket bound to 127.0.0.1 on a free port, with a receive buffer for a few rounds.
    private static func openReceiver(path: String) throws(HotPathError) -> (Int32, UInt16) {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard socket >= 0 else { throw HotPathError(path: path, reason: "cannot open a UDP socket: \(String(cString: strerror(errno)))") }
        var size: Int32 = 4 << 20
        _ = setsockopt(socket, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else {
            let reason = "cannot bind a UDP socket to 127.0.0.1: \(String(cString: strerror(errno)))"
            close(socket)
            throw HotPathError(path: path, reason: reason)
        }
        return (socket, UInt16(bigEndian: address.sin_port))
    }
}
