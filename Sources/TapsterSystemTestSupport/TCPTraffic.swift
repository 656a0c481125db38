import Foundation

/// Real TCP traffic between workloads of a ``NetnsTopology``: a listener (Debian's python3) that reads
/// and discards, and a client that connects, writes a number of chunks one segment at a time, half-closes
/// and waits for the listener to close — so when ``send(from:to:chunks:size:gap:)`` returns, the whole
/// connection, handshake to final ACK, is on the wire.
public enum TCPTraffic {
    /// The port a database would listen on.
    public static let port = 5432
    public static let python = "/usr/bin/python3"

    private static let listenerScript = """
    import socket, sys
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], int(sys.argv[2])))
    s.listen(16)
    print("listening", flush=True)
    while True:
        c, _ = s.accept()
        while c.recv(65536):
            pass
        c.close()
    """

    private static let clientScript = """
    import socket, sys, time
    host, port, chunks, size, gap = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    c = socket.create_connection((host, port), timeout=10)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    payload = b"x" * size
    for _ in range(chunks):
        c.sendall(payload)
        time.sleep(gap)
    c.shutdown(socket.SHUT_WR)
    while c.recv(65536):
        pass
    c.close()
    print("sent", chunks, flush=True)
    """

    /// Starts a listener on `host`'s address and port 5432 and waits until it listens.
    public static func listen(on host: NetnsTopology.Host, topology: NetnsTopology, directory: ScratchDirectory) async throws -> BackgroundProcess {
        let listener = try topology.spawn(in: host.namespace, name: "listener-\(host.role)",
                                          [python, "-c", listenerScript, host.address, String(port)], directory: directory)
        try await listener.waitForOutput("listening")
        return listener
    }

    /// Opens one connection from `client` to `server`:5432, writes `chunks` × `size` bytes `gap` seconds
    /// apart (TCP_NODELAY: one segment each), closes, and returns when the connection is fully closed.
    public static func send(from client: NetnsTopology.Host, to server: NetnsTopology.Host, chunks: Int, size: Int, gap: Double = 0.005,
                     topology: NetnsTopology, directory: ScratchDirectory) async throws {
        let process = try topology.spawn(in: client.namespace, name: "client-\(client.role)-\(UUID().uuidString.prefix(8))",
                                         [python, "-c", clientScript, server.address, String(port), String(chunks), String(size), String(gap)],
                                         directory: directory)
        try await finished(process)
    }

    /// Starts a listener on `address`:`port` in the network namespace at `namespacePath` (a container's
    /// `/proc/<pid>/ns/net`) and waits until it listens.
    public static func listen(on address: String, port: Int = port, namespacePath: String, directory: ScratchDirectory) async throws -> BackgroundProcess {
        let listener = try BackgroundProcess(name: "listener-\(address)",
                                             ["nsenter", "--net=\(namespacePath)", python, "-c", listenerScript, address, String(port)],
                                             directory: directory)
        try await listener.waitForOutput("listening")
        return listener
    }

    /// Opens one connection from the test's own namespace (the host's), or from the network namespace at
    /// `fromNamespacePath` (a pod's), to `address`:`port`, as the other
    /// ``send(from:to:chunks:size:gap:topology:directory:)`` does between workloads.
    public static func send(to address: String, port: Int = port, chunks: Int, size: Int, gap: Double = 0.005,
                            fromNamespacePath: String? = nil, directory: ScratchDirectory) async throws {
        let entering = fromNamespacePath.map { ["nsenter", "--net=\($0)"] } ?? []
        try await finished(BackgroundProcess(name: "client-\(UUID().uuidString.prefix(8))",
                                             entering + [python, "-c", clientScript, address, String(port), String(chunks), String(size), String(gap)],
                                             directory: directory))
    }

    /// Waits for a client to exit; throws unless it exited 0.
    private static func finished(_ process: BackgroundProcess) async throws {
        let status = try await process.waitForExit(timeout: .seconds(60))
        guard status == 0 else { throw ProcessEnded(name: process.name, status: status, stderr: process.stderr) }
    }
}
