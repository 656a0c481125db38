import Foundation
import TapsterSystemTestSupport
@testable import TapsterAgent
import TapsterCore
import Testing

/// The flow sink on a real capture: TCP, UDP and HTTP between network namespaces, summarised by a
/// ``CaptureSession`` on web's interface, against what tshark computes from a capture of the same interface
/// taken at the same time.
@Suite("Flow sink on live traffic", .serialized)
struct FlowSinkSystemTests {
    /// A UDP echo server on db, and a client on web sending 12 datagrams and reading each echo.
    static let udpEcho = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((sys.argv[1], 7007))
        print("listening", flush=True)
        while True:
            data, peer = s.recvfrom(65536)
            s.sendto(data, peer)
        """
    static let udpClient = """
        import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        for i in range(12):
            s.sendto(b"u" * (50 + i), (sys.argv[1], 7007))
            s.recvfrom(65536)
        print("done", flush=True)
        """
    /// A small HTTP/1.1 application on peer:8080: ids in paths, a 404 and a 500 on purpose.
    static let httpServer = """
        import http.server, sys
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                path = self.path.split("?")[0]
                if path.startswith("/users/"):
                    status, body = 200, b'{"name":"RESPONSEBODYSECRET"}'
                elif path == "/boom":
                    status, body = 500, b"boom"
                else:
                    status, body = 404, b"no such thing"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Set-Cookie", "session=SETCOOKIESECRET")
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        server = http.server.HTTPServer((sys.argv[1], 8080), Handler)
        print("listening", flush=True)
        server.serve_forever()
        """

    @Test("per connection, the records' packets and bytes each way equal tshark's conv,tcp and conv,udp; HTTP is read, nothing leaks")
    func recordsMatchTshark() async throws {
        let lab = try await MirrorLab.make()
        defer { lab.tearDown() }
        let topology = lab.topology, directory = lab.directory
        var processes: [BackgroundProcess] = []
        defer { for process in processes { process.stop(grace: .seconds(1)) } }

        let echo = try topology.spawn(in: lab.db.namespace, name: "udp-echo", [TCPTraffic.python, "-c", Self.udpEcho, lab.db.address],
                                      directory: directory)
        processes.append(echo)
        try await echo.waitForOutput("listening")
        let web = try topology.spawn(in: lab.peer.namespace, name: "http-app", [TCPTraffic.python, "-c", Self.httpServer, lab.peer.address],
                                     directory: directory)
        processes.append(web)
        try await web.waitForOutput("listening")

        // The reference: every frame on web's interface, in a file, while the session captures the same.
        let file = directory.url.appendingPathComponent("reference.pcapng")
        let reference = try topology.spawn(in: lab.web.namespace, name: "reference",
                                           ["env", "TMPDIR=\(directory.url.path)", "tshark", "-i", lab.web.interface, "-p", "-n", "-w", file.path],
                                           directory: directory)
        processes.append(reference)
        try await reference.waitForOutput("Capture started.", timeout: .seconds(30))

        let export = FlowExport(tapID: "tap-flows")
        let plan = lab.plan()
        let session = CaptureSession(plan: plan, sink: FlowSink(plan: plan, export: export))
        defer { session.stop() }
        try await session.start()

        try await lab.send(to: lab.db, chunks: 10, size: 200)
        try await lab.send(to: lab.peer, chunks: 5, size: 120)
        let client = try topology.spawn(in: lab.web.namespace, name: "udp-client", [TCPTraffic.python, "-c", Self.udpClient, lab.db.address],
                                        directory: directory)
        processes.append(client)
        #expect(try await client.waitForExit(timeout: .seconds(30)) == 0)
        let base = "http://\(lab.peer.address):8080"
        // One curl, one keep-alive connection; each URL's body to /dev/null (an -o per URL).
        let urls = ["\(base)/users/123?token=QUERYSECRET", "\(base)/users/9f3a0c1d2e4b", "\(base)/missing", "\(base)/boom"]
        let curl = try topology.run(in: lab.web.namespace, [
            "curl", "-s", "-w", "%{http_code}\\n", "-H", "Cookie: c=COOKIESECRET", "-H", "Authorization: Bearer HEADERSECRET",
        ] + urls.flatMap { ["-o", "/dev/null", $0] })
        #expect(curl.stdout.split(separator: "\n") == ["200", "200", "404", "500"])

        // Until the capture ring has handed over the last packets — the session's count, steady over two polls, is the
        // frames the reference has written so far, or it has stopped changing for 1 s — then the session's end sends
        // every record.
        var counts: [UInt64] = []
        _ = try await eventually(timeout: .seconds(30), every: .milliseconds(200), "the session to count the reference's frames") { () -> Bool? in
            let packets = session.counters.packets
            counts.append(packets)
            let steady = counts.count > 1 && counts[counts.count - 2] == packets
            if steady && packets > 0 && packets == (try? GrowingPcapng.enhancedPackets(inFileAt: file.path)).map(UInt64.init) { return true }
            return counts.count > 5 && counts.suffix(6).allSatisfy { $0 == packets } ? true : nil
        }
        session.stop()
        _ = try await session.ended()
        reference.stop()
        _ = try await reference.waitForExit(timeout: .seconds(10))
        let batch = export.drain()

        let conversations = try TsharkConversation.read(file, kind: "tcp") + TsharkConversation.read(file, kind: "udp")
        let sent = batch.records.filter { $0.ipProtocol == 6 || $0.ipProtocol == 17 }
        // A flow may send several records (the HTTP connection's at its close, then its last): the newest
        // one of each flow has its totals, as the server keeps it.
        let records = sent.enumerated().filter { index, record in !sent[(index + 1)...].contains { $0.key == record.key } }.map(\.element)
        #expect(conversations.count == 4, "\(conversations)")
        #expect(records.count == conversations.count, "\(records.map { "\($0.client) -> \($0.server)" })")
        for conversation in conversations {
            let record = try #require(records.first { Set(["\($0.client)", "\($0.server)"]) == Set([conversation.a, conversation.b]) },
                                      "no record for \(conversation)")
            let aIsClient = "\(record.client)" == conversation.a
            let aToB = aIsClient ? record.toServer : record.toClient
            let bToA = aIsClient ? record.toClient : record.toServer
            #expect(aToB == FlowCounters(packets: conversation.framesAToB, bytes: conversation.bytesAToB), "\(conversation)")
            #expect(bToA == FlowCounters(packets: conversation.framesBToA, bytes: conversation.bytesBToA), "\(conversation)")
        }

        // Each TCP connection was opened by web, closed by FINs, its handshake timed.
        for record in records where record.ipProtocol == 6 {
            #expect(record.client.address == lab.web.address && record.end == .fin && record.rttMicroseconds != nil, "\(record)")
        }
        let http = sent.flatMap(\.http)
        #expect(http.map(\.pathTemplate) == ["/users/{id}", "/users/{id}", "/missing", "/boom"])
        #expect(http.map(\.status) == [200, 200, 404, 500])
        #expect(http.allSatisfy { $0.method == "GET" && $0.host == "\(lab.peer.address):8080" })
        #expect(batch.flowsDropped == 0 && batch.httpUnparsed == 0)
        let encoded = String(decoding: try JSONEncoder().encode(batch.records), as: UTF8.self)
        for secret in ["QUERYSECRET", "COOKIESECRET", "HEADERSECRET", "SETCOOKIESECRET", "RESPONSEBODYSECRET"] {
            #expect(!encoded.contains(secret), "\(secret) left the table")
        }
    }
}
