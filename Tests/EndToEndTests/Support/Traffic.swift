import Foundation
import TapsterSystemTestSupport
import Testing

/// What the tool and the workloads saw, compared as tshark decoded it.
extension DataPlaneLab {
    /// The fields of a TCP segment that identify it on the wire: 5-tuple, raw sequence number, payload length.
    static let segmentFields = ["ip.src", "ip.dst", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.len"]

    /// Starts tshark on a workload's eth0 for TCP port 5432 — the reference of what was really sent — printing the
    /// segment fields plus `extra`.
    func referenceCapture(on role: String, extra: [String] = []) async throws -> LiveTshark {
        try await LiveTshark(name: "reference-\(role)", namespace: topology[role].namespace, interface: "eth0",
                             captureFilter: "tcp port 5432", fields: Self.segmentFields + extra, topology: topology, directory: scratch)
    }

    /// Starts tshark on the tool's eth0 with `captureFilter`, printing the segment fields plus `extra`.
    func toolCapture(captureFilter: String, extra: [String]) async throws -> LiveTshark {
        try await LiveTshark(name: "tool-\(UUID().uuidString.prefix(6))", namespace: topology.tool.namespace, interface: "eth0",
                             captureFilter: captureFilter, fields: Self.segmentFields + extra, topology: topology, directory: scratch)
    }

    /// Listeners on 5432 in `roles`.
    func listen(_ roles: [String]) async throws -> [BackgroundProcess] {
        var listeners: [BackgroundProcess] = []
        for role in roles { listeners.append(try await TCPTraffic.listen(on: topology[role], topology: topology, directory: scratch)) }
        return listeners
    }

    /// One TCP connection from `client` to `server`:5432 carrying `chunks` segments of `size` bytes.
    func send(from client: String, to server: String, chunks: Int = 20, size: Int = 200, gap: Double = 0.005) async throws {
        try await TCPTraffic.send(from: topology[client], to: topology[server], chunks: chunks, size: size, gap: gap,
                                  topology: topology, directory: scratch)
    }
}

/// A decoded segment, comparable across captures.
struct Segment: Hashable, Comparable, CustomStringConvertible {
    var source: String, destination: String, sourcePort: String, destinationPort: String, sequence: String, length: String

    init(_ row: LiveTshark.Row) {
        source = row["ip.src"] ?? ""
        destination = row["ip.dst"] ?? ""
        sourcePort = row["tcp.srcport"] ?? ""
        destinationPort = row["tcp.dstport"] ?? ""
        sequence = row["tcp.seq_raw"] ?? ""
        length = row["tcp.len"] ?? ""
    }

    static func < (a: Segment, b: Segment) -> Bool { a.description < b.description }
    var description: String { "\(source):\(sourcePort)>\(destination):\(destinationPort) seq \(sequence) len \(length)" }
}

extension LiveTshark {
    /// The TCP segments printed so far, sorted.
    var segments: [Segment] { rows.filter { !($0["tcp.srcport"] ?? "").isEmpty }.map(Segment.init).sorted() }
}

extension LiveTshark {
    /// The segments once tshark has printed nothing new for `quiet` (after the traffic ended).
    func settledSegments(quiet: Duration = .milliseconds(600), timeout: Duration = .seconds(15)) async throws -> [Segment] {
        var last = -1
        return try await eventually(timeout: timeout, every: quiet, "tshark to settle") {
            let segments = self.segments
            defer { last = segments.count }
            return segments.count == last && !segments.isEmpty ? segments : nil
        }
    }
}

extension LiveTshark {
    /// The segments once there are at least `count`, or whatever there is after `timeout` (for the
    /// comparison to show what is missing).
    func segments(atLeast count: Int, timeout: Duration = .seconds(30)) async -> [Segment] {
        (try? await eventually(timeout: timeout, "\(count) segments") { self.segments.count >= count ? self.segments : nil })
            ?? segments
    }
}

/// What a tap mirrored around its deadline, judged against what the other end received (its own capture: when each
/// segment really crossed), not against when copies reached the tool — a copy can arrive late on loaded cores, and a
/// pause of the traffic before the deadline is not an early stop.
struct DeadlineVerdict {
    /// Segments mirrored though they crossed more than ``slack`` after the deadline.
    var mirroredAfter: [Segment]
    /// Segments that crossed more than ``margin`` before the deadline and were not mirrored.
    var missedBefore: [Segment]
    /// Segments that crossed more than ``margin`` before the deadline (none would make the verdict empty).
    var sentBefore: Int

    /// How long after the deadline a copy may still be made, for the userspace path: it cuts by each packet's
    /// capture time, and the copy is made at the tapped interface just before or just after the other end's
    /// interface stamps the segment (one bridge hop, in the kernel's receive path).
    static let userspaceSlack = 0.1
    /// For the kernel path: its filter is removed by the agent, which looks at the deadline every second
    /// (docs/agent.md, "In the kernel"), and then waits for the kernel's answer.
    static let kernelSlack = 1.5
    /// Around the deadline itself nothing is judged: the stop's own moment.
    static let margin = 0.5

    /// Compares the segments `mirrored` printed (a tool's capture, decapsulated) with `sent` (the other end's
    /// capture, printing `frame.time_epoch`), once `sent` has printed everything and the tool a copy of everything
    /// sent before the deadline (or 30 s have passed). `slack`: how long after the deadline a copy may still be made.
    static func judge(mirrored: LiveTshark, sent: LiveTshark, deadline: Date, slack: Double = userspaceSlack) async -> DeadlineVerdict {
        let deadline = deadline.timeIntervalSince1970
        // The traffic has ended: what the other end's tshark has not printed yet would look mirrored from nowhere.
        _ = try? await sent.settledSegments()
        var crossed: [Segment: Double] = [:]
        for row in sent.rows where !(row["tcp.srcport"] ?? "").isEmpty {
            guard let time = Double(row["frame.time_epoch"] ?? "") else { continue }
            let segment = Segment(row)
            crossed[segment] = min(crossed[segment] ?? time, time)
        }
        let before = Set(crossed.filter { $0.value < deadline - margin }.keys)
        // Rows are not segments (identical pure ACKs share one key): wait for the segments themselves.
        let copies = (try? await eventually(timeout: .seconds(30), "a copy of every segment sent before the deadline") {
            let copies = Set(mirrored.segments)
            return before.isSubset(of: copies) ? copies : nil
        }) ?? Set(mirrored.segments)
        return DeadlineVerdict(mirroredAfter: copies.filter { (crossed[$0] ?? .infinity) > deadline + slack }.sorted(),
                               missedBefore: before.subtracting(copies).sorted(), sentBefore: before.count)
    }

    /// Nothing that crossed after the deadline was mirrored, everything before it was.
    func expectStoppedAtTheDeadline(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(sentBefore > 10, "traffic crossed before the deadline", sourceLocation: sourceLocation)
        #expect(mirroredAfter.isEmpty, "mirrored after the deadline: \(mirroredAfter)", sourceLocation: sourceLocation)
        #expect(missedBefore.isEmpty, "not mirrored before the deadline (stopped early?): \(missedBefore)", sourceLocation: sourceLocation)
    }
}
