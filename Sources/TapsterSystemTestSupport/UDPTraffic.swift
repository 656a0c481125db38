import Foundation

/// UDP floods between workloads of a ``NetnsTopology``, sent by Debian's python3 inside the sender's
/// namespace: as fast as the sender can, to the discard port (9) — nobody needs to listen, a capture on the
/// receiver's interface sees them all the same.
public enum UDPTraffic {
    /// The destination port.
    public static let port = 9

    static let senderScript = """
        import socket, sys
        host, port, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        payload = bytes(size)
        sent = 0
        while sent < count:
            try:
                s.sendto(payload, (host, port)); sent += 1
            except (BlockingIOError, ConnectionRefusedError):
                pass
        print(sent)
        """

    static let markerScript = """
        import socket, sys, time
        host, port, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sequence, start = 0, time.monotonic()
        while True:
            s.sendto(b"MARK%08d" % sequence, (host, port))
            sequence += 1
            time.sleep(max(0.0, start + sequence * interval - time.monotonic()))
        """

    /// Starts sending numbered markers (`MARK00000000`, `MARK00000001`, …, one datagram each) from `client` to
    /// `server`'s discard port every `interval` seconds, until the process is stopped.
    public static func startMarkers(from client: NetnsTopology.Host, to server: NetnsTopology.Host, interval: Double = 0.01,
                                    topology: NetnsTopology, directory: ScratchDirectory) throws -> BackgroundProcess {
        try topology.spawn(in: client.namespace, name: "markers-\(client.role)",
                           [TCPTraffic.python, "-c", markerScript, server.address, String(port), String(interval)], directory: directory)
    }

    /// Starts sending numbered markers, as ``startMarkers(from:to:interval:topology:directory:)`` does, to
    /// `address`'s discard port from the test's own namespace (the host's), or from the network namespace at
    /// `fromNamespacePath` (a pod's `/proc/<pid>/ns/net`), until the process is stopped.
    public static func startMarkers(to address: String, interval: Double = 0.01, fromNamespacePath: String? = nil,
                                    directory: ScratchDirectory) throws -> BackgroundProcess {
        let entering = fromNamespacePath.map { ["nsenter", "--net=\($0)"] } ?? []
        return try BackgroundProcess(name: "markers-\(address)",
                                     entering + [TCPTraffic.python, "-c", markerScript, address, String(port), String(interval)],
                                     directory: directory)
    }

    /// Starts sending datagrams of `size` bytes from `client` to `server` as fast as the sender can, until the
    /// process is stopped.
    public static func startFlood(from client: NetnsTopology.Host, to server: NetnsTopology.Host, size: Int,
                                  topology: NetnsTopology, directory: ScratchDirectory) throws -> BackgroundProcess {
        try topology.spawn(in: client.namespace, name: "flood-\(client.role)-\(UUID().uuidString.prefix(8))",
                           [TCPTraffic.python, "-c", senderScript, server.address, String(port), String(Int.max), String(size)],
                           directory: directory)
    }

    /// Sends `count` datagrams of `size` bytes from `client` to `server`; returns when all are sent.
    public static func send(from client: NetnsTopology.Host, to server: NetnsTopology.Host, count: Int, size: Int,
                            topology: NetnsTopology, directory: ScratchDirectory) async throws {
        let process = try topology.spawn(in: client.namespace, name: "udp-\(client.role)-\(UUID().uuidString.prefix(8))",
                                         [TCPTraffic.python, "-c", senderScript, server.address, String(port), String(count), String(size)],
                                         directory: directory)
        let status = try await process.waitForExit(timeout: .seconds(120))
        guard status == 0 else { throw ProcessEnded(name: process.name, status: status, stderr: process.stderr) }
    }
}
