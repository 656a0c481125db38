import Foundation
import TapsterAPI
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// Flow taps with a real server and agent and real traffic: the agent's flow records count what tshark saw on
/// the tapped interface, the map has exactly the lab's edges, the observed APIs are exactly the routes called —
/// templated, with their status classes — and no header, query or body value leaves the host.
@Suite("Flows end to end", .serialized, .timeLimit(.minutes(6)))
struct FlowEndToEndTests {
    /// Values the test sends in headers, queries, cookies and bodies: none may appear in any answer or log.
    static let secrets = ["SECRET-QUERY-VALUE", "SECRET-HEADER-VALUE", "SECRET-COOKIE-VALUE", "SECRET-BODY-VALUE"]

    /// A small HTTP/1.1 app: `/users/N` and `/users/N/orders/UUID` answer 200, `/boom` 500, the rest 404.
    static let app = """
        import http.server, re, sys
        class App(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length: self.rfile.read(length)
                path = self.path.split("?")[0]
                if re.fullmatch(r"/users/[0-9]+(/orders/[0-9a-f-]{36})?", path): status = 200
                elif path == "/boom": status = 500
                else: status = 404
                body = b"ok\\n"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            do_GET = answer
            do_POST = answer
            def log_message(self, *args): pass
        print("listening", flush=True)
        http.server.HTTPServer(("0.0.0.0", int(sys.argv[1])), App).serve_forever()
        """

    /// The fields a conversation is summed from (as `tshark -z conv` sums them).
    static let conversationFields = ["ip.src", "ip.dst", "ip.proto", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "frame.len"]

    @Test func flowRecordsCountWhatTsharkSawAndTheMapAndAPIsAreExactlyTheLabsTraffic() async throws {
        try await DataPlaneLab.with(roles: ["web", "db", "api"]) { lab in
            try await lab.admin(["target", "create", "flows", "--kind", "flows"])
            try await lab.admin(["filter", "create", "web", "--selector", "app=web", "--bpf", "tcp or udp"])
            try await lab.grant(filter: "web", target: "flows")
            let tap = try await lab.createTap(filter: "web", target: "flows")
            _ = try await lab.waitForTap(tap, state: .applied)

            let (web, db, api) = (lab.topology["web"], lab.topology["db"], lab.topology["api"])
            let reference = try await LiveTshark(name: "reference-web", namespace: web.namespace, interface: "eth0",
                                                 captureFilter: "tcp or udp", fields: Self.conversationFields, topology: lab.topology,
                                                 directory: lab.scratch)
            defer { reference.stop() }
            let listeners = try await lab.listen(["db"])
            defer { listeners.forEach { $0.stop() } }
            let appFile = lab.scratch.url.appendingPathComponent("app.py").path
            try Self.app.write(toFile: appFile, atomically: true, encoding: .utf8)
            let server = try lab.topology.spawn(in: api.namespace, name: "api", ["python3", appFile, "8080"], directory: lab.scratch)
            defer { server.stop() }
            try await server.waitForOutput("listening", timeout: .seconds(20))

            // TCP to db, HTTP to api (200, 200, 404 with secrets in query, header and cookie, 500 with a secret
            // body), a refused connection (reset) and UDP datagrams.
            try await lab.send(from: "web", to: "db", chunks: 20)
            let base = "http://\(api.address):8080"
            for arguments in [["\(base)/users/123"], ["\(base)/users/456/orders/9f3a0c1d-2e4b-4c5d-8e9f-0a1b2c3d4e5f"],
                              ["-H", "X-Token: SECRET-HEADER-VALUE", "-b", "session=SECRET-COOKIE-VALUE", "\(base)/missing?token=SECRET-QUERY-VALUE"],
                              ["-X", "POST", "--data", "SECRET-BODY-VALUE", "\(base)/boom"]] {
                _ = try lab.topology.run(in: web.namespace, ["curl", "-s", "-o", "/dev/null", "--max-time", "30"] + arguments)
            }
            _ = try lab.topology.run(in: web.namespace, ["curl", "-s", "--max-time", "5", "http://\(db.address):5433/"], allowFailure: true)
            _ = try lab.topology.run(in: web.namespace, ["python3", "-c", """
                import socket
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                for i in range(5): s.sendto(b"x" * (100 + i), ("\(db.address)", 5353))
                """])

            // Every TCP connection ended (FIN or reset), and the UDP flow exported.
            let flows = try await eventually(timeout: .seconds(60), every: .seconds(1), "the flow records of every connection") { () -> [FlowView]? in
                let listed = try lab.decode([FlowView].self, try await lab.owner(["flows", "-o", "json"]).stdout)
                let tcp = listed.filter { $0.flow.ipProtocol == 6 }
                let udp = listed.filter { $0.flow.ipProtocol == 17 }
                return tcp.count == 6 && tcp.allSatisfy({ $0.flow.end != .live }) && udp.count == 1 ? listed : nil
            }

            // Counts: per conversation, what tshark decoded on web's eth0.
            let seen = Self.conversations(reference.rows)
            for view in flows {
                let key = Self.key(view.flow.ipProtocol, view.flow.client, view.flow.server)
                let expected = try #require(seen[key], "tshark saw no \(key)")
                #expect(view.flow.toServer == expected.toServer, "\(key) client → server")
                #expect(view.flow.toClient == expected.toClient, "\(key) server → client")
            }
            #expect(Set(flows.map { Self.key($0.flow.ipProtocol, $0.flow.client, $0.flow.server) }) == Set(seen.keys))
            let refused = try #require(flows.first { $0.flow.server.port == 5433 })
            #expect(refused.flow.end == .reset && refused.flow.tcpFlagsToClient.contains(.rst))
            #expect(flows.allSatisfy { $0.clientWorkload?.name == web.namespace })

            let dot = try await lab.owner(["map", "-o", "dot"]).stdout
            let edges = dot.split(separator: "\n").filter { $0.contains(" -> ") }.map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(edges.map { $0.components(separatedBy: " [label=\"")[0] + " " + $0.components(separatedBy: "[label=\"")[1].split(separator: " ").prefix(3).joined(separator: " ") }.sorted() == [
                #""app=web" -> "app=api" tcp/8080 4 conn"#,
                #""app=web" -> "app=db" tcp/5432 1 conn"#,
                #""app=web" -> "app=db" tcp/5433 1 conn"#,
                #""app=web" -> "app=db" udp/5353 1 conn"#,
            ], "\(dot)")

            let endpoints = try lab.decode([APIEndpoint].self, try await lab.owner(["apis", "-o", "json"]).stdout)
            // Workloads are named after their namespaces (the lab's prefix, then the role).
            #expect(endpoints.map { "\($0.server) \($0.method) \($0.pathTemplate) \($0.calls) \($0.statusClasses.keys.sorted())" } == [
                "\(api.namespace) POST /boom 1 [\"5xx\"]",
                "\(api.namespace) GET /missing 1 [\"4xx\"]",
                "\(api.namespace) GET /users/{id} 1 [\"2xx\"]",
                "\(api.namespace) GET /users/{id}/orders/{id} 1 [\"2xx\"]",
            ])
            #expect(endpoints.allSatisfy { $0.callers == [web.namespace] })

            let sketch = try await lab.owner(["apis", "-o", "openapi"]).stdout
            let sketchFile = lab.scratch.url.appendingPathComponent("observed.json").path
            try sketch.write(toFile: sketchFile, atomically: true, encoding: .utf8)
            let python = try #require(PythonInterpreter.importing("openapi_spec_validator"),
                                      "no python3 on PATH imports openapi_spec_validator: run scripts/install-deps.sh")
            let validation = try ProcessRunner.run([python, "-m", "openapi_spec_validator", sketchFile], allowFailure: true)
            #expect(validation.status == 0, "\(validation.stdout)\(validation.stderr)")

            let answers = [try await lab.owner(["flows", "-o", "json"]).stdout, dot, try await lab.owner(["apis", "-o", "json"]).stdout, sketch,
                           lab.server.log, lab.agent?.stderr ?? ""]
            for secret in Self.secrets {
                #expect(!answers.contains { $0.contains(secret) }, "\(secret) left the host")
            }
        }
    }

    @Test func anOwnerOfAnotherTenantSeesNoneOfAShopsFlows() async throws {
        try await DataPlaneLab.with(roles: ["web", "db"]) { lab in
            try await lab.admin(["target", "create", "flows", "--kind", "flows"])
            try await lab.admin(["filter", "create", "web", "--selector", "app=web", "--bpf", "tcp"])
            try await lab.grant(filter: "web", target: "flows")
            let tap = try await lab.createTap(filter: "web", target: "flows")
            _ = try await lab.waitForTap(tap, state: .applied)
            let listeners = try await lab.listen(["db"])
            defer { listeners.forEach { $0.stop() } }
            try await lab.send(from: "web", to: "db", chunks: 5)
            _ = try await eventually(timeout: .seconds(60), every: .seconds(1), "alice's flow") { () -> Bool? in
                try lab.decode([FlowView].self, try await lab.owner(["flows", "-o", "json"]).stdout).isEmpty ? nil : true
            }
            try await lab.admin(["tenant", "create", "bank"])
            try await lab.admin(["user", "create", "bob", "--role", "owner", "--tenant", "bank", "--password-stdin"], input: "bob-horse-battery-staple\n")
            let bob = CLI(binary: lab.binary, home: lab.scratch.url.path + "/bob-home", server: lab.server.url)
            _ = try await bob.run(["login", "--user", "bob", "--password-stdin"], input: "bob-horse-battery-staple\n")

            let flows = try await bob.run(["flows", "-o", "json"])
            let map = try await bob.run(["map", "-o", "json"])

            #expect(try lab.decode([FlowView].self, flows.stdout).isEmpty)
            #expect(try lab.decode(FlowMap.self, map.stdout).edges.isEmpty)
        }
    }

    /// `6 10.0.0.1:41000 10.0.0.3:5432`.
    static func key(_ proto: UInt8, _ client: FlowEndpoint, _ server: FlowEndpoint) -> String { "\(proto) \(client) \(server)" }

    /// Per conversation (keyed client first, the client being the side that sent its first packet), packets
    /// and bytes each way, from tshark's rows.
    static func conversations(_ rows: [LiveTshark.Row]) -> [String: (toServer: FlowCounters, toClient: FlowCounters)] {
        var result: [String: (toServer: FlowCounters, toClient: FlowCounters)] = [:]
        var clients: [String: String] = [:]
        for row in rows {
            let proto = UInt8(row["ip.proto"] ?? "") ?? 0
            let (sport, dport) = proto == 6 ? (row["tcp.srcport"], row["tcp.dstport"]) : (row["udp.srcport"], row["udp.dstport"])
            let source = FlowEndpoint(address: row["ip.src"] ?? "", port: UInt16(sport ?? "") ?? 0)
            let destination = FlowEndpoint(address: row["ip.dst"] ?? "", port: UInt16(dport ?? "") ?? 0)
            let pair = [source.description, destination.description].sorted().joined(separator: " ")
            let client = clients[pair] ?? source.description
            clients[pair] = client
            let key = client == source.description ? self.key(proto, source, destination) : self.key(proto, destination, source)
            var entry = result[key] ?? (FlowCounters(), FlowCounters())
            let bytes = UInt64(row["frame.len"] ?? "") ?? 0
            if client == source.description {
                entry.toServer.packets += 1
                entry.toServer.bytes += bytes
            } else {
                entry.toClient.packets += 1
                entry.toClient.bytes += bytes
            }
            result[key] = entry
        }
        return result
    }
}
