import Foundation
import Synchronization

/// A TCP port on 127.0.0.1 that was free a moment ago, chosen at random below the kernel's ephemeral range.
///
/// Not one the kernel picks for port 0: the same range serves every outgoing connection, and with a whole
/// suite's connections one of them took a server's agent port between the test choosing it and the server
/// binding it (and a restarted server must find its ports again). Below the range only another test's
/// choice can collide: binding here rules out a port in use, and no port is handed out twice in one test run
/// (a server's two random picks once came out equal, and a test another one had chosen but not bound yet
/// is as free as any other to `bind`).
public func freeLoopbackPort() throws -> Int {
    let ephemeralStart = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
        .flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } } ?? 32768
    let candidates = 10000..<max(ephemeralStart, 10001)
    var lastError = POSIXError(.EADDRINUSE)
    for _ in 0..<200 {
        let port = Int.random(in: candidates)
        guard handedOutPorts.withLock({ $0.insert(port).inserted }) else { continue }
        do {
            try bindLoopback(port: port)
            return port
        } catch {
            lastError = error
        }
    }
    throw lastError
}

/// Every port ``freeLoopbackPort()`` returned (or tried) in this process.
private let handedOutPorts = Mutex<Set<Int>>([])

/// Binds a TCP socket to 127.0.0.1:`port` and closes it.
private func bindLoopback(port: Int) throws(POSIXError) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
}
