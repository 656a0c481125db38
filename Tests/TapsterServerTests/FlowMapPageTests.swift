import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterTestSupport

/// The portal's flow map: the SVG a known ``FlowMap`` draws (exactly its nodes and edges, escaped, the same
/// bytes every time), and `/flows/map` as an owner sees it — their flows only, another tenant's workload as
/// its address, hostile names shown as text.
@Suite struct FlowMapPageTests {
    static let hostile = "<script>alert(1)</script>"

    /// A flow from `client` to `server` (each a workload, or its address when nil).
    static func view(_ client: FlowPeer?, _ server: FlowPeer?, clientAddress: String = "10.0.0.1", serverAddress: String = "10.0.0.3",
                     port: UInt16, ipProtocol: UInt8 = 6, bytes: UInt64 = 1000, reset: Bool = false) -> FlowView {
        let start = FlowVisibilityTests.start
        let record = FlowRecord(tapID: "t", host: "node-1", workload: "web-1", interface: "eth0", ipProtocol: ipProtocol,
                                client: FlowEndpoint(address: clientAddress, port: 41000), server: FlowEndpoint(address: serverAddress, port: port),
                                toServer: FlowCounters(packets: 4, bytes: bytes), toClient: FlowCounters(packets: 3, bytes: bytes),
                                firstSeen: start, lastSeen: start, end: reset ? .reset : .fin)
        return FlowView(flow: record, clientWorkload: client, serverWorkload: server)
    }

    static func peer(_ name: String, app: String?) -> FlowPeer {
        FlowPeer(name: name, host: "node-1", tenant: "shop", labels: app.map { ["app": $0] } ?? [:])
    }

    /// web → db (two connections on 5432, one reset, and one on 6432), web → a foreign address, the hostile
    /// group → web, db → itself over UDP, and a workload without the label (its own name) → db.
    static var knownMap: FlowMap {
        let web = peer("web-1", app: "web"), db = peer("db-1", app: "db"), evil = peer("evil-1", app: hostile), batch = peer("batch-7", app: nil)
        return FlowMap([
            view(web, db, port: 5432),
            view(web, db, port: 5432, reset: true),
            view(web, db, port: 6432),
            view(web, nil, serverAddress: "10.9.0.1", port: 443),
            view(evil, web, port: 8080),
            view(db, db, port: 5000, ipProtocol: 17),
            view(batch, db, port: 5432, bytes: 6144),
        ], groupBy: "app")
    }

    @Test func theSVGOfAKnownMapHasExactlyItsNodesAndEdges() throws {
        let svg = FlowMapSVG(map: Self.knownMap).svg
        let parsed = try SVGOutline(svg)

        #expect(parsed.nodes == [
            "10.9.0.1 address", "app=\(Self.hostile) group", "app=db group", "app=web group", "batch-7 workload",
        ])
        #expect(parsed.edges == [
            "app=\(Self.hostile) -> app=web tcp/8080: tcp/8080 · 1 conn · 2.0 KiB",
            "app=db -> app=db udp/5000: udp/5000 · 1 conn · 2.0 KiB",
            "app=web -> 10.9.0.1 tcp/443: tcp/443 · 1 conn · 2.0 KiB",
            "app=web -> app=db tcp/5432 reset: tcp/5432 · 2 conn · 3.9 KiB · 1 reset",
            "app=web -> app=db tcp/6432: tcp/6432 · 1 conn · 2.0 KiB",
            "batch-7 -> app=db tcp/5432: tcp/5432 · 1 conn · 12.0 KiB",
        ])
        #expect(parsed.dashedAddresses == ["10.9.0.1"], "addresses are ellipses, styled dashed")
        #expect(svg.contains("viewBox=\"0 0 ") && svg.contains("width=\"100%\""))
        #expect(FlowMapSVG(map: Self.knownMap).svg == svg, "the layout is deterministic")
    }

    @Test func hostileNamesAreEscapedInTheSVG() throws {
        let svg = FlowMapSVG(map: Self.knownMap).svg

        #expect(!svg.contains("<script"))
        #expect(svg.contains("app=&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(FlowMapSVG.escape("a\"b'c&d<e>\u{1}") == "a&quot;b&#39;c&amp;d&lt;e&gt;\u{FFFD}")
    }

    @Test func callersStandLeftOfWhatTheyCallAndEveryArrowPointsRightOrBendsBack() throws {
        let parsed = try SVGOutline(FlowMapSVG(map: Self.knownMap).svg)

        // Only calling: left; called and calling: middle; only called: right.
        #expect(parsed.x["batch-7"]! < parsed.x["app=web"]!)
        #expect(parsed.x["app=\(Self.hostile)"]! < parsed.x["app=web"]!)
        #expect(parsed.x["app=web"] == parsed.x["app=db"])
        #expect(parsed.x["app=db"]! < parsed.x["10.9.0.1"]!)
    }

    @Test(arguments: StoreKind.available)
    func anOwnersMapPageShowsTheirEdgesAndAnotherTenantsWorkloadOnlyAsItsAddress(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let (fixture, tap) = try await FlowVisibilityTests.withFlowTap(api)
            // A workload of alice's tenant whose name is markup (names may hold anything but spaces).
            _ = try await api.expect(Workload.self, .post, "/api/v1/workloads", token: fixture.admin, json: WorkloadSpec(
                name: Self.hostile, kind: .netns, host: "node-1", tenant: "shop",
                interfaces: [WorkloadInterface(name: "eth0", ips: [try IPAddress(parsing: "10.0.0.66")])]))
            try await controlPlane.flows.record(agent: "node-1", [
                FlowVisibilityTests.flow(tap: tap, to: FlowVisibilityTests.db),
                FlowVisibilityTests.flow(tap: tap, to: FlowVisibilityTests.bankWeb),
                FlowVisibilityTests.flow(tap: tap, to: FlowEndpoint(address: "10.0.0.66", port: 8080)),
            ])
            let session = try await controlPlane.identity.openPortalSession(name: "alice", password: "password-of-alice", source: "192.0.2.1").secret

            let page = try await Self.get("/flows/map", session: session, api)
            let fragment = try await Self.get("/flows/map?group_by=app&fragment=map", session: session, api)
            let bobs = try await Self.get("/flows/map", session: try await controlPlane.identity.openPortalSession(
                name: "bob", password: "password-of-bob", source: "192.0.2.1").secret, api)

            #expect(page.status == 200)
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            let outline = try SVGOutline(try #require(Self.svg(in: page.text)))
            #expect(outline.edges.map { $0.components(separatedBy: ":").first! } == [
                "app=web -> 10.9.0.1 tcp/443", "app=web -> \(Self.hostile) tcp/8080", "app=web -> app=db tcp/5432",
            ])
            #expect(!page.text.contains("web-9") && !page.text.contains("bank"), "another tenant's workload is only its address")
            #expect(!page.text.contains("<script>alert"))
            #expect(page.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(page.text.contains(#"<a href="/flows/map" aria-current="page">Flow map</a>"#))
            #expect(page.text.contains(#"data-refresh="/flows/map?since=1h&amp;group_by=app&amp;fragment=map""#))
            // The fragment is the region the page refreshes, and nothing else.
            #expect(fragment.status == 200)
            #expect(fragment.text.hasPrefix("<section id=\"flow-map\"") && !fragment.text.contains("<html"))
            #expect(try SVGOutline(try #require(Self.svg(in: fragment.text))).edges == outline.edges)
            #expect(bobs.status == 200 && Self.svg(in: bobs.text) == nil && bobs.text.contains("No flows seen"))
        }
    }

    @Test(arguments: StoreKind.available)
    func aBadSearchNamesItsFieldAndAHostileGroupLabelIsText(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            _ = try await Fixture.make(api)
            let session = try await controlPlane.identity.openPortalSession(name: "alice", password: "password-of-alice", source: "192.0.2.1").secret

            let bad = try await Self.get("/flows/map?since=yesterday", session: session, api)
            let hostile = try await Self.get("/flows/map?group_by=%3Cscript%3Ealert(1)%3C%2Fscript%3E", session: session, api)

            #expect(bad.status == 400)
            #expect(bad.text.contains("id=\"field-since-error\""))
            #expect(hostile.status == 200 && !hostile.text.contains("<script>alert") && hostile.text.contains("grouped by &lt;script&gt;"))
        }
    }

    static func get(_ path: String, session: String, _ api: API) async throws -> API.Reply {
        let response = try await api.client.execute(uri: path, method: .get, headers: [.cookie: "\(PortalCookies.session)=\(session)"], body: nil)
        return API.Reply(status: Int(response.status.code), body: Data(response.body.readableBytesView), headers: response.headers)
    }

    /// The page's `<svg>…</svg>`, if it has one.
    static func svg(in html: String) -> String? {
        guard let start = html.range(of: "<svg "), let end = html.range(of: "</svg>", range: start.upperBound..<html.endIndex) else { return nil }
        return String(html[start.lowerBound..<end.upperBound])
    }
}

/// What an SVG of ``FlowMapSVG`` draws, read back with an XML parser (which also proves it well-formed):
/// `id kind` per node, `from -> to proto/port[ reset]: label` per edge, sorted.
struct SVGOutline {
    private(set) var nodes: [String] = []
    private(set) var edges: [String] = []
    private(set) var dashedAddresses: [String] = []
    /// Each node's left edge.
    private(set) var x: [String: Double] = [:]

    init(_ svg: String) throws {
        let reader = Reader()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = reader
        guard parser.parse() else { throw OutlineError(description: "not well-formed XML: \(String(describing: parser.parserError)) in \(svg)") }
        nodes = reader.nodes.sorted()
        edges = reader.edges.sorted()
        dashedAddresses = reader.ellipses.sorted()
        x = reader.x
    }

    struct OutlineError: Error, CustomStringConvertible { let description: String }

    private final class Reader: NSObject, XMLParserDelegate {
        var nodes: [String] = [], edges: [String] = [], ellipses: [String] = []
        var x: [String: Double] = [:]
        private var node: (id: String, kind: String)?
        private var edge: String?
        private var inEdgeText = false
        private var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String]) {
            let classes = (attributes["class"] ?? "").split(separator: " ")
            if name == "g", classes.contains("node"), let id = attributes["data-id"], let kind = attributes["data-kind"] {
                node = (id, kind)
                nodes.append("\(id) \(kind)")
            } else if name == "g", classes.contains("edge"), let from = attributes["data-from"], let to = attributes["data-to"],
                      let proto = attributes["data-protocol"], let port = attributes["data-port"] {
                edge = "\(from) -> \(to) \(proto)/\(port)" + (classes.contains("reset") ? " reset" : "")
            } else if name == "ellipse", let node {
                ellipses.append(node.id)
                x[node.id] = Double(attributes["cx"] ?? "").map { $0 - FlowMapSVG.nodeWidth / 2 }
            } else if name == "rect", let node {
                x[node.id] = Double(attributes["x"] ?? "")
            } else if name == "text", edge != nil {
                inEdgeText = true
                text = ""
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if inEdgeText { text += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "text", inEdgeText, let edge {
                edges.append("\(edge): \(text)")
                inEdgeText = false
            } else if name == "g" {
                node = nil
                edge = nil
            }
        }
    }
}
