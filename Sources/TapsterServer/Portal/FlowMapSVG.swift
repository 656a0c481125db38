import Foundation
import TapsterCore

/// A ``FlowMap`` drawn as a static SVG document fragment for the portal's `/flows/map` page.
///
/// The layout is deterministic (the same map gives the same bytes) and needs no script: nodes stand in up to
/// three columns — those that only call on the left, those that are called and call in the middle, those that
/// are only called on the right — each column sorted by node id. Every edge is an arrow from caller to callee
/// labelled `tcp/5432 · 3 conn · 12.0 KiB` (`· 1 reset` and the class `reset` when connections were reset);
/// edges between two nodes of the middle column, and a node's edges to itself, bend out to the right.
/// Addresses are dashed ellipses, groups and workloads rounded boxes. The SVG scales to the page's width
/// through its `viewBox`. Every text and attribute value is XML-escaped: node ids come from labels and addresses.
struct FlowMapSVG {
    let map: FlowMap

    // Geometry, in viewBox units.
    static let nodeWidth = 220.0
    static let nodeHeight = 44.0
    static let rowPitch = 72.0
    static let columnGap = 280.0
    static let margin = 24.0
    /// Room to the right of the last column for the arcs of edges within it.
    static let loopRoom = 180.0
    /// The longest node id shown whole; longer ones are cut (the `<title>` has all of it).
    static let longestShownID = 30

    private enum Column: Int, CaseIterable { case callers, both, callees }

    private struct Placed {
        let node: FlowMap.Node
        let column: Int
        let x: Double
        let y: Double
        var left: Double { x }
        var right: Double { x + FlowMapSVG.nodeWidth }
        var middle: Double { y + FlowMapSVG.nodeHeight / 2 }
    }

    /// `tcp/5432 · 3 conn · 12.0 KiB`, and `· N reset(s)` when some connections were reset.
    static func label(_ edge: FlowMap.Edge) -> String {
        var parts = ["\(edge.protocol)/\(edge.port)", "\(edge.connections) conn", DisplayFormat.bytes(edge.bytes)]
        if edge.resets > 0 { parts.append("\(edge.resets) reset" + (edge.resets == 1 ? "" : "s")) }
        return parts.joined(separator: " · ")
    }

    /// The `<svg>` element.
    var svg: String {
        let placed = layout()
        let columns = Set(placed.values.map(\.column)).count
        let lastColumn = columns - 1
        let rows = Dictionary(grouping: placed.values, by: \.column).values.map(\.count).max() ?? 0
        let bendsOutOfLastColumn = map.edges.contains { placed[$0.from]?.column == lastColumn && placed[$0.to]?.column == lastColumn }
        let width = 2 * Self.margin + Double(columns) * Self.nodeWidth + Double(max(columns - 1, 0)) * Self.columnGap
            + (bendsOutOfLastColumn ? Self.loopRoom : 0)
        let height = 2 * Self.margin + Double(max(rows, 1)) * Self.rowPitch - (Self.rowPitch - Self.nodeHeight)

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flow-map-svg\" viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\""
        out += " width=\"100%\" preserveAspectRatio=\"xMidYMin meet\" role=\"img\" aria-labelledby=\"flow-map-title\">"
        out += "<title id=\"flow-map-title\">Who talks to whom: \(map.nodes.count) node\(map.nodes.count == 1 ? "" : "s"), "
        out += "\(map.edges.count) edge\(map.edges.count == 1 ? "" : "s"), grouped by \(Self.escape(map.groupBy))</title>"
        out += "<defs><marker id=\"flow-map-arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\""
        out += " orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"arrow-head\"/></marker></defs>"
        out += "<g class=\"edges\">"
        // Parallel edges (one pair, several ports) are spread apart.
        let pairs = Dictionary(grouping: map.edges.indices, by: { "\(map.edges[$0].from)\u{0}\(map.edges[$0].to)" })
        let outgoing = Dictionary(grouping: map.edges, by: \.from).mapValues(\.count)
        let incoming = Dictionary(grouping: map.edges, by: \.to).mapValues(\.count)
        for (index, edge) in map.edges.enumerated() {
            guard let from = placed[edge.from], let to = placed[edge.to] else { continue }
            let siblings = pairs["\(edge.from)\u{0}\(edge.to)"] ?? [index]
            let rank = Double(siblings.firstIndex(of: index) ?? 0) - Double(siblings.count - 1) / 2
            // Edges fanning out of one node part near their callees, edges fanning in near their callers: the label goes there.
            let nearCallee = outgoing[edge.from, default: 0] >= incoming[edge.to, default: 0]
            out += Self.edge(edge, from: from, to: to, rank: rank, labelNearCallee: nearCallee)
        }
        out += "</g><g class=\"nodes\">"
        for node in map.nodes {
            guard let place = placed[node.id] else { continue }
            out += Self.node(place)
        }
        out += "</g></svg>"
        return out
    }

    /// Each node's column and position.
    private func layout() -> [String: Placed] {
        let callers = Set(map.edges.map(\.from))
        let callees = Set(map.edges.map(\.to))
        var byColumn: [Column: [FlowMap.Node]] = [:]
        for node in map.nodes {
            let column: Column = switch (callers.contains(node.id), callees.contains(node.id)) {
            case (true, false): .callers
            case (false, true): .callees
            default: .both
            }
            byColumn[column, default: []].append(node)
        }
        let used = Column.allCases.filter { byColumn[$0]?.isEmpty == false }
        let tallest = used.map { byColumn[$0]!.count }.max() ?? 0
        var placed: [String: Placed] = [:]
        for (columnIndex, column) in used.enumerated() {
            let nodes = byColumn[column]!.sorted()
            let x = Self.margin + Double(columnIndex) * (Self.nodeWidth + Self.columnGap)
            // A shorter column stands centred beside the tallest.
            let top = Self.margin + Double(tallest - nodes.count) * Self.rowPitch / 2
            for (row, node) in nodes.enumerated() {
                placed[node.id] = Placed(node: node, column: columnIndex, x: x, y: top + Double(row) * Self.rowPitch)
            }
        }
        return placed
    }

    private static func edge(_ edge: FlowMap.Edge, from: Placed, to: Placed, rank: Double, labelNearCallee: Bool) -> String {
        let label = Self.label(edge)
        let spread = 14.0
        let path: String
        let labelX: Double
        let labelY: Double
        let anchor: String
        if from.node.id == to.node.id {
            // A loop on the node's right side.
            let x = from.right
            let reach = 70 + 24 * (rank + 2)
            let y1 = from.middle - 10
            let y2 = from.middle + 10
            path = "M\(number(x)),\(number(y1)) C\(number(x + reach)),\(number(y1 - 26)) \(number(x + reach)),\(number(y2 + 26)) \(number(x)),\(number(y2))"
            (labelX, labelY, anchor) = (x + reach * 0.75 + 6, from.middle + 4, "start")
        } else if from.column == to.column {
            // Within a column: out of the caller's right side and back into the callee's.
            let x = from.right
            let reach = 60 + abs(to.middle - from.middle) * 0.25 + 16 * (rank + 1)
            let y1 = from.middle + rank * spread
            let y2 = to.middle + rank * spread
            path = "M\(number(x)),\(number(y1)) C\(number(x + reach)),\(number(y1)) \(number(x + reach)),\(number(y2)) \(number(x)),\(number(y2))"
            (labelX, labelY, anchor) = (x + reach * 0.75 + 6, (y1 + y2) / 2 + 4, "start")
        } else {
            let (x1, y1) = (from.right, from.middle + rank * spread)
            let (x2, y2) = (to.left, to.middle + rank * spread)
            let bend = (x2 - x1) / 2
            path = "M\(number(x1)),\(number(y1)) C\(number(x1 + bend)),\(number(y1)) \(number(x2 - bend)),\(number(y2)) \(number(x2)),\(number(y2))"
            // The curve leaves and arrives level: the label stands above that level stretch, at the callee's end (before the
            // arrow) or at the caller's, within one gap, whichever columns lie between.
            (labelX, labelY, anchor) = labelNearCallee ? (x2 - 14, y2 - 5, "end") : (x1 + 10, y1 - 5, "start")
        }
        var classes = "edge"
        if edge.resets > 0 { classes += " reset" }
        var out = "<g class=\"\(classes)\" data-from=\"\(escape(edge.from))\" data-to=\"\(escape(edge.to))\""
        out += " data-protocol=\"\(escape(edge.protocol))\" data-port=\"\(edge.port)\">"
        out += "<title>\(escape(edge.from)) → \(escape(edge.to)): \(escape(label)), \(edge.packets) packets</title>"
        out += "<path d=\"\(path)\" marker-end=\"url(#flow-map-arrow)\"/>"
        out += "<text x=\"\(number(labelX))\" y=\"\(number(labelY))\" text-anchor=\"\(anchor)\">\(escape(label))</text></g>"
        return out
    }

    private static func node(_ place: Placed) -> String {
        let node = place.node
        let shown = node.id.count > longestShownID ? String(node.id.prefix(longestShownID - 1)) + "…" : node.id
        var out = "<g class=\"node \(node.kind.rawValue)\" data-id=\"\(escape(node.id))\" data-kind=\"\(node.kind.rawValue)\">"
        out += "<title>\(escape(node.id)) (\(node.kind.rawValue))</title>"
        if node.kind == .address {
            out += "<ellipse cx=\"\(number(place.x + nodeWidth / 2))\" cy=\"\(number(place.middle))\" rx=\"\(number(nodeWidth / 2))\" ry=\"\(number(nodeHeight / 2))\"/>"
        } else {
            out += "<rect x=\"\(number(place.x))\" y=\"\(number(place.y))\" width=\"\(number(nodeWidth))\" height=\"\(number(nodeHeight))\" rx=\"8\"/>"
        }
        let centre = number(place.x + nodeWidth / 2)
        out += "<text class=\"node-id\" x=\"\(centre)\" y=\"\(number(place.y + 19))\" text-anchor=\"middle\">\(escape(shown))</text>"
        out += "<text class=\"node-kind\" x=\"\(centre)\" y=\"\(number(place.y + 35))\" text-anchor=\"middle\">\(node.kind.rawValue)</text></g>"
        return out
    }

    /// A coordinate with at most one decimal, the same on every machine.
    static func number(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0 ? String(Int(tenths / 10)) : String(format: "%.1f", tenths / 10)
    }

    /// `text` safe in XML text and in a double- or single-quoted attribute, control characters replaced.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            // Control characters are not allowed in XML (nor sensible in HTML): shown as replacement characters.
            case _ where character.unicodeScalars.contains { $0.properties.generalCategory == .control }: out += "\u{FFFD}"
            default: out.append(character)
            }
        }
        return out
    }
}
