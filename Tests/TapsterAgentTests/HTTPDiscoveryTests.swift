import Foundation
import TapsterSystemTestSupport
@testable import TapsterAgent
import TapsterCore
import Testing

/// HTTP/1.x discovery in the flow table: request and status lines read from TCP payload in order, paired,
/// templated, timed — and nothing else of a message ever leaves.
@Suite("HTTP discovery in flows")
struct HTTPDiscoveryTests {
    typealias F = SyntheticFrames

    /// The HTTP exchanges of every record once the sink has closed, and the batch.
    func exchanges(_ driver: FlowDriver) -> (http: [HTTPExchange], batch: FlowExportBatch) {
        driver.sink.close()
        let batch = driver.drain()
        return (batch.records.flatMap(\.http), batch)
    }

    func response(_ status: String, body: String = "", headers: String = "") -> String {
        "HTTP/1.1 \(status)\r\nContent-Length: \(body.utf8.count)\r\n\(headers)\r\n\(body)"
    }

    @Test("pipelined requests are paired with their responses in order, latency from request to response")
    func pipelined() {
        let driver = FlowDriver()
        let tcp = TCPConversation(driver)
        tcp.handshake()
        tcp.clientSends("GET /a HTTP/1.1\r\nHost: api.test\r\n\r\nPOST /b HTTP/1.1\r\nHost: api.test\r\nContent-Length: 4\r\n\r\nbody")
        tcp.serverSends(response("200 OK", body: "first"), after: .milliseconds(7))
        tcp.serverSends(response("201 Created", body: "second"), after: .milliseconds(3))
        let (http, _) = exchanges(driver)
        #expect(http.map(\.method) == ["GET", "POST"])
        #expect(http.map(\.pathTemplate) == ["/a", "/b"])
        #expect(http.map(\.host) == ["api.test", "api.test"])
        #expect(http.map(\.status) == [200, 201])
        #expect(http.map(\.latencyMicroseconds) == [7000, 10000])
    }

    @Test("404 and 500 on one keep-alive connection, chunked and sized bodies skipped")
    func errorStatuses() {
        let driver = FlowDriver()
        let tcp = TCPConversation(driver)
        tcp.handshake()
        tcp.clientSends("GET /missing HTTP/1.1\r\nHost: api\r\n\r\n")
        tcp.serverSends("HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nno no\r\n3;x=y\r\nabc\r\n0\r\n\r\n")
        tcp.clientSends("GET /broken HTTP/1.1\r\nHost: api\r\n\r\n")
        tcp.serverSends(response("500 Internal Server Error", body: "HTTP/1.1 200 OK (not a status line: a body)"))
        tcp.clientSends("HEAD /head HTTP/1.1\r\nHost: api\r\n\r\n")
        tcp.serverSends("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        tcp.clientSends("GET /after HTTP/1.1\r\nHost: api\r\n\r\n")
        tcp.serverSends(response("204 No Content"))
        let (http, batch) = exchanges(driver)
        #expect(http.map(\.status) == [404, 500, 200, 204])
        #expect(http.map(\.pathTemplate) == ["/missing", "/broken", "/head", "/after"])
        #expect(batch.httpUnparsed == 0)
    }

    @Test("paths are templated: numbers, UUIDs and hex ids become {id}; the query goes")
    func templating() {
        let driver = FlowDriver()
        let tcp = TCPConversation(driver)
        tcp.handshake()
        for path in ["/users/123/orders/9f3a0c1d2e4b", "/items/3f2504e0-4f89-11d3-9a0c-0305e82c3301?page=2", "/static/app.js#top",
                     "/v1/users", "http://api/users/42"] {
            tcp.clientSends("GET \(path) HTTP/1.1\r\nHost: api\r\n\r\n")
            tcp.serverSends(response("200 OK"))
        }
        let (http, _) = exchanges(driver)
        #expect(http.map(\.pathTemplate) == ["/users/{id}/orders/{id}", "/items/{id}", "/static/app.js", "/v1/users", "/users/{id}"])
    }

    @Test("no query value, header value (but Host), cookie or body byte appears in any record")
    func nothingLeaks() throws {
        let driver = FlowDriver()
        let tcp = TCPConversation(driver)
        tcp.handshake()
        tcp.clientSends("POST /login?token=QUERYSECRET&user=QUERYUSER HTTP/1.1\r\nHost: api\r\nCookie: session=COOKIESECRET\r\n"
            + "Authorization: Bearer HEADERSECRET\r\nX-Api-Key: KEYSECRET\r\nContent-Length: 10\r\n\r\nBODYSECRET")
        tcp.serverSends(response("200 OK", body: "RESPONSESECRET", headers: "Set-Cookie: SETCOOKIESECRET\r\nServer: SERVERSECRET\r\n"))
        driver.sink.close()
        let batch = driver.drain()
        #expect(batch.records.flatMap(\.http).map(\.pathTemplate) == ["/login"])
        let encoded = String(decoding: try JSONEncoder().encode(batch.records), as: UTF8.self)
        for secret in ["QUERYSECRET", "QUERYUSER", "token", "COOKIESECRET", "session", "HEADERSECRET", "Bearer", "KEYSECRET", "BODYSECRET",
                       "RESPONSESECRET", "SETCOOKIESECRET", "SERVERSECRET"] {
            #expect(!encoded.contains(secret), "\(secret) left the table")
        }
    }

    @Test("a request split across segments is read whole")
    func splitRequest() {
        let driver = FlowDriver()
        let tcp = TCPConversation(driver)
        tcp.handshake()
        tcp.clientSends("GET /acco")
        tcp.clientSends("unts/77 HTTP/1.1\r\nHo")
        tcp.clientSends("st: bank\r\n\r\n")
        tcp.serverSends("HTTP/1.")
        tcp.serverSends("1 302 Found\r\nContent-Length: 0\r\n\r\n")
        let (http, _) = exchanges(driver)
        #expect(http.map(\.pathTemplate) == ["/accounts/{id}"] && http.map(\.host) == ["bank"] && http.map(\.status) == [302])
    }

    @Test("a gap in the capture stops reading the connection, counted; what was answered before stays")
    func gapCounted() {
        let driver = FlowDriver()
        let tcp = TCPConversation(driver)
        tcp.handshake()
        tcp.clientSends("GET /one HTTP/1.1\r\nHost: api\r\n\r\n")
        tcp.serverSends(response("200 OK"))
        _ = tcp.fromClient(F.psh | F.ack, Array("GET /lost HTTP/1.1\r\n\r\n".utf8)) // never captured
        tcp.clientSends("GET /two HTTP/1.1\r\nHost: api\r\n\r\n")
        tcp.serverSends(response("200 OK"))
        let (http, batch) = exchanges(driver)
        #expect(http.map(\.pathTemplate) == ["/one"])
        #expect(batch.httpUnparsed == 1)
    }

    @Test("a connection that does not begin with a request is not HTTP, and not counted as unparsed")
    func notHTTP() {
        let driver = FlowDriver()
        let tcp = TCPConversation(driver, serverPort: 5432)
        tcp.handshake()
        driver.send(tcp.fromClient(F.psh | F.ack, [0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f]))
        tcp.serverSends("S")
        let (http, batch) = exchanges(driver)
        #expect(http.isEmpty && batch.httpUnparsed == 0)
    }

    @Test("a retransmitted request is read once")
    func retransmission() {
        let driver = FlowDriver()
        let tcp = TCPConversation(driver)
        tcp.handshake()
        let sequence = tcp.clientSequence
        tcp.clientSends("GET /once HTTP/1.1\r\nHost: api\r\n\r\n")
        tcp.clientSequence = sequence
        tcp.clientSends("GET /once HTTP/1.1\r\nHost: api\r\n\r\n")
        tcp.serverSends(response("200 OK"))
        let (http, batch) = exchanges(driver)
        #expect(http.map(\.pathTemplate) == ["/once"] && batch.httpUnparsed == 0)
    }

    @Test("with every connection state in use, a new HTTP connection is counted, not read")
    func poolExhausted() {
        let driver = FlowDriver(limits: FlowLimits(httpConnections: 1))
        for port: UInt16 in [1001, 1002] {
            let tcp = TCPConversation(driver, clientPort: port)
            tcp.handshake()
            tcp.clientSends("GET /x HTTP/1.1\r\nHost: api\r\n\r\n")
            tcp.serverSends(response("200 OK"))
        }
        let (http, batch) = exchanges(driver)
        #expect(http.count == 1 && batch.httpUnparsed == 1)
    }

    @Test("a closed connection frees its HTTP state at once, its exchanges in an interim record: short connections one after another are all read within the close linger")
    func closedConnectionsFreeTheirState() {
        let driver = FlowDriver(limits: FlowLimits(httpConnections: 2))
        for port: UInt16 in 1001...1006 {
            let tcp = TCPConversation(driver, clientPort: port)
            tcp.handshake()
            tcp.clientSends("GET /c/\(port) HTTP/1.1\r\nHost: api\r\n\r\n")
            tcp.serverSends(response("200 OK"))
            tcp.close()
        }
        #expect(driver.sink.flowCount == 6, "every flow still lingers")
        let (http, batch) = exchanges(driver)
        #expect(http.map(\.pathTemplate) == Array(repeating: "/c/{id}", count: 6))
        #expect(batch.httpUnparsed == 0)
        #expect(batch.records.filter { !$0.http.isEmpty }.map(\.end) == Array(repeating: .live, count: 6), "sent at the close")
        #expect(batch.records.filter { $0.end != .live }.map(\.end) == Array(repeating: .fin, count: 6), "one final record each")
    }

    @Test("a pipeline deeper than the ring: the extra request is counted and its response skipped, pairing stays in order")
    func pipelineBound() {
        let driver = FlowDriver(limits: FlowLimits(exchangesPerConnection: 2))
        let tcp = TCPConversation(driver)
        tcp.handshake()
        tcp.clientSends((1...3).map { "GET /r\($0) HTTP/1.1\r\nHost: api\r\n\r\n" }.joined())
        tcp.serverSends(response("200 OK") + response("201 Created") + response("202 Accepted"))
        tcp.clientSends("GET /r4 HTTP/1.1\r\nHost: api\r\n\r\n")
        tcp.serverSends(response("203 Non-Authoritative"))
        let (http, batch) = exchanges(driver)
        #expect(http.map(\.pathTemplate) == ["/r1", "/r2", "/r4"])
        #expect(http.map(\.status) == [200, 201, 203])
        #expect(batch.httpUnparsed == 1)
    }

    @Test("answered exchanges leave with a live record before they fill the connection's ring")
    func earlyExport() {
        let driver = FlowDriver(limits: FlowLimits(exchangesPerConnection: 4))
        let tcp = TCPConversation(driver)
        tcp.handshake()
        for index in 1...10 {
            tcp.clientSends("GET /n/\(index) HTTP/1.1\r\nHost: api\r\n\r\n")
            tcp.serverSends(response("200 OK"))
        }
        let live = driver.drain().records
        #expect(live.allSatisfy { $0.end == .live } && live.flatMap(\.http).count == 8)
        let (rest, batch) = exchanges(driver)
        #expect(rest.count == 2 && batch.httpUnparsed == 0)
    }
}
