import Foundation
import PacketKit
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// `tapster capture` across two simulated hosts: `web1` (with `client`) is node1's, `web2` is node2's, each
/// host with its own `tapster agent` process; both web workloads are labelled `app=web`. The client opens a
/// TCP connection to each; one capture of `app=web` yields one pcapng, compared with what tshark saw on each
/// workload's own eth0.
@Suite("Captures end to end", .serialized, .timeLimit(.minutes(5)))
struct CaptureEndToEndTests {
    /// A lab with two hosts, a `live` stream target, filter `web` (`app=web`) granted to alice.
    static func withTwoHosts(serverArguments: [String] = [], _ body: (DataPlaneLab) async throws -> Void) async throws {
        try await DataPlaneLab.with(roles: ["web1", "web2", "client"], hosts: [["web1", "client"], ["web2"]],
                                    serverArguments: serverArguments) { lab in
            try await lab.admin(["target", "create", "live", "--kind", "stream"])
            try await lab.admin(["filter", "create", "web", "--selector", "app=web"])
            try await lab.grant(filter: "web", target: "live")
            try await body(lab)
        }
    }

    /// The IDB name the broker gives a lab workload's eth0: `host/workload/interface`.
    static func interfaceName(_ lab: DataPlaneLab, host: Int, role: String) -> String {
        "\(lab.agentNames[host])/\(lab.topology[role].namespace)/eth0"
    }

    /// What one capture file holds, as tshark and our reader see it.
    struct CaptureFile {
        /// Per interface name, its TCP segments (sorted).
        var segments: [String: [Segment]]
        /// Every packet's timestamp, in file order.
        var timestamps: [Double]
        /// Per interface name, how many packets it has.
        var packets: [String: Int]
        /// The IDBs' names and filters.
        var interfaces: [(name: String, filter: String?)]
        /// Per interface name, its ISB's received and dropped counts.
        var statistics: [String: (received: UInt64?, dropped: UInt64?)]

        init(path: String) throws {
            let rows = try WiresharkTools.fields(URL(fileURLWithPath: path), ["frame.interface_name", "frame.time_epoch"] + DataPlaneLab.segmentFields)
            var segments: [String: [Segment]] = [:]
            for row in rows where row.count == 2 + DataPlaneLab.segmentFields.count {
                let fields = Dictionary(uniqueKeysWithValues: zip(DataPlaneLab.segmentFields, row.dropFirst(2)))
                segments[row[0], default: []].append(Segment(fields))
            }
            self.segments = segments.mapValues { $0.sorted() }
            timestamps = rows.map { Double($0[1]) ?? -1 }
            packets = rows.reduce(into: [:]) { $0[$1[0], default: 0] += 1 }
            var interfaces: [(name: String, filter: String?)] = []
            var statistics: [String: (received: UInt64?, dropped: UInt64?)] = [:]
            for block in try PcapngReader.readAll(Array(try Data(contentsOf: URL(fileURLWithPath: path)))) {
                switch block {
                case .interfaceDescription(let idb): interfaces.append((idb.name ?? "", idb.filter))
                case .interfaceStatistics(let isb):
                    statistics[interfaces[Int(isb.interfaceID)].name] = (isb.received, isb.interfaceDrops)
                default: break
                }
            }
            self.interfaces = interfaces
            self.statistics = statistics
        }
    }

    /// `capinfos` reads it without a word on stderr; its output.
    static func capinfos(_ path: String) throws -> String {
        let result = try WiresharkTools.run("capinfos", ["-c", "-I", path])
        #expect(result.status == 0 && result.warnings.isEmpty, "capinfos: \(result.stderr)")
        return result.stdout
    }

    /// Alice's capture, running in the background (its output piped into `consumer`, a shell command, if
    /// given); its id once its tap is applied on both hosts.
    static func startCapture(_ lab: DataPlaneLab, _ arguments: [String],
                             pipingStdoutTo consumer: String? = nil) async throws -> (BackgroundProcess, String) {
        let capture = try lab.ownerCLI.start(["capture"] + arguments, name: "capture", pipingStdoutTo: consumer, directory: lab.scratch)
        let id = try await eventually(timeout: .seconds(60), every: .milliseconds(500), "the capture to be live") { () -> String? in
            guard capture.isRunning else { throw LabFailure("tapster capture exited: \(capture.stderr)") }
            let listed = try await lab.owner(["capture", "list", "-o", "name"])
            return listed.stdout.split(separator: "\n").first.map { String($0.dropFirst("capture/".count)) }
        }
        for agent in lab.agentNames { try await lab.waitForTap(id, state: .applied, agent: agent) }
        return (capture, id)
    }

    @Test("one capture of app=web over two hosts: one pcapng with an interface per host, exactly the segments each sent and received, in time order, with matching statistics")
    func twoHostsOneMergedPcapng() async throws {
        try await Self.withTwoHosts { lab in
            let listeners = try await lab.listen(["web1", "web2"])
            defer { listeners.forEach { $0.stop() } }
            let references = (web1: try await lab.referenceCapture(on: "web1"), web2: try await lab.referenceCapture(on: "web2"))
            defer { references.web1.stop(); references.web2.stop() }
            let path = lab.scratch.path + "/web.pcapng"
            // The deadline counts from the tap's creation, and applying it on both hosts can take many seconds on a
            // loaded 2-core run; 25 s leaves the sending room so that the capture ends by its deadline, after it.
            let (capture, id) = try await Self.startCapture(lab, ["-l", "app=web", "-i", "eth0", "--for", "25s", "-w", path, "tcp", "port", "5432"])
            defer { capture.stop() }

            try await lab.send(from: "client", to: "web1", chunks: 20)
            try await lab.send(from: "client", to: "web2", chunks: 30)
            let expected = [Self.interfaceName(lab, host: 0, role: "web1"): try await references.web1.settledSegments(),
                            Self.interfaceName(lab, host: 1, role: "web2"): try await references.web2.settledSegments()]

            #expect(try await capture.waitForExit(timeout: .seconds(40)) == 0, "\(capture.stderr)")
            #expect(capture.stdout.isEmpty)
            let summary = capture.stderr.split(separator: "\n").last.map(String.init) ?? ""
            let total = expected.values.map(\.count).reduce(0, +)
            #expect(summary.hasPrefix("capture \(id): \(total) packets from 2 hosts (2 interfaces), 0 dropped;"), "\(capture.stderr)")
            #expect(summary.hasSuffix("written to \(path) (ended: deadline)"), "\(summary)")

            #expect(try Self.capinfos(path).contains("Number of packets:   \(total)"))
            let file = try Self.CaptureFile(path: path)
            #expect(file.interfaces.map(\.name).sorted() == expected.keys.sorted())
            #expect(file.interfaces.allSatisfy { $0.filter == "tcp port 5432" }, "\(file.interfaces)")
            for (name, segments) in expected {
                #expect(file.segments[name] == segments, "\(name)")
                #expect(file.statistics[name]?.received == UInt64(segments.count) && file.statistics[name]?.dropped == 0,
                        "\(name): \(String(describing: file.statistics[name]))")
            }
            #expect(file.timestamps.count == total && zip(file.timestamps, file.timestamps.dropFirst()).allSatisfy { $0 <= $1 },
                    "timestamps in file order: \(file.timestamps)")
        }
    }

    @Test("Ctrl-C mid-capture: the pcapng written to standard output is complete with its statistics, and both agents stop capturing")
    func interruptEndsTheCaptureOnEveryHost() async throws {
        try await Self.withTwoHosts { lab in
            let listeners = try await lab.listen(["web1", "web2"])
            defer { listeners.forEach { $0.stop() } }
            let (capture, id) = try await Self.startCapture(lab, ["-l", "app=web", "--for", "10m", "-w", "-"])
            defer { capture.stop() }
            try await lab.send(from: "client", to: "web1", chunks: 5)
            try await lab.send(from: "client", to: "web2", chunks: 5)
            // Interrupted only once both hosts' packets reached the server: what is in flight then is the drain's to finish.
            _ = try await eventually(timeout: .seconds(60), every: .milliseconds(250), "packets of both hosts in the capture record") { () -> Bool? in
                try await CaptureFaultEndToEndTests.capture(lab, id).interfaces.filter { $0.packets > 0 }.count == 2 ? true : nil
            }

            capture.signal(SIGINT)
            #expect(try await capture.waitForExit(timeout: .seconds(60)) == 0, "\(capture.stderr)")
            #expect(capture.stderr.hasSuffix("(ended: stopped)\n"), "\(capture.stderr)")
            for agent in lab.agentNames { try await lab.waitForTap(id, state: .stopped, agent: agent, timeout: .seconds(30)) }

            _ = try Self.capinfos(capture.stdoutPath)
            let file = try Self.CaptureFile(path: capture.stdoutPath)
            #expect(file.interfaces.count >= 2, "\(file.interfaces)")
            #expect(Set(file.interfaces.map(\.name)) == Set(file.statistics.keys), "every interface has its statistics block")
            let captured = file.segments.values.map(\.count).reduce(0, +)
            #expect(captured > 0 && file.statistics.values.compactMap(\.received).reduce(0, +) >= UInt64(captured))
        }
    }

    @Test("tapster capture -w - | tshark -r - decodes the merged stream live, while the capture runs")
    func pipedIntoTsharkDecodesLive() async throws {
        try await Self.withTwoHosts { lab in
            let listeners = try await lab.listen(["web1", "web2"])
            defer { listeners.forEach { $0.stop() } }
            let decoded = lab.scratch.path + "/decoded.txt"
            let (capture, id) = try await Self.startCapture(
                lab, ["-l", "app=web", "--for", "10m", "-w", "-", "tcp", "port", "5432"],
                pipingStdoutTo: "tshark -l -r - -T fields -e frame.interface_name -e tcp.dstport > '\(decoded)'")
            defer { capture.stop() }
            try await lab.send(from: "client", to: "web1", chunks: 5)
            try await lab.send(from: "client", to: "web2", chunks: 5)
            let names = Set([Self.interfaceName(lab, host: 0, role: "web1"), Self.interfaceName(lab, host: 1, role: "web2")])
            try await eventually(timeout: .seconds(60), "tshark to print packets of both hosts while the capture runs") { () -> Bool? in
                let text = (try? String(contentsOfFile: decoded, encoding: .utf8)) ?? ""
                let seen = Set(text.split(separator: "\n").compactMap { $0.split(separator: "\t").first.map(String.init) })
                return seen.isSuperset(of: names) ? true : nil
            }
            #expect(capture.isRunning)
            try await lab.owner(["tap", "stop", id])
            #expect(try await capture.waitForExit(timeout: .seconds(60)) == 0, "\(capture.stderr)")
            #expect(!capture.stderr.contains("tshark:"), "tshark complained: \(capture.stderr)")
        }
    }

    @Test("a stalled reader: the server holds no more than its capture buffer; what does not fit is dropped and counted in the tap's counters, the ISBs and the summary")
    func stalledReaderStaysBounded() async throws {
        try await Self.withTwoHosts(serverArguments: ["--capture-buffer", "1MiB"]) { lab in
            let path = lab.scratch.path + "/stalled.pcapng", release = lab.scratch.path + "/release-reader"
            // Nothing reads the capture's output until the test creates `release`: the pipe, then the HTTP
            // connection, fill up and the server's buffer for the capture with them.
            let (capture, id) = try await Self.startCapture(
                lab, ["-l", "app=web", "-i", "eth0", "--for", "60s", "-w", "-", "udp"],
                pipingStdoutTo: "{ until [ -e '\(release)' ]; do sleep 0.1; done; exec cat > '\(path)'; }")
            defer { capture.stop() }
            let server = try #require(lab.server.pid)
            let baseline = try ResidentMemory.bytes(of: server)
            let peak = LockedValue(baseline)
            let sampler = Task {
                while !Task.isCancelled {
                    if let now = try? ResidentMemory.bytes(of: server) { peak.update { $0 = max($0, now) } }
                    try? await Task.sleep(for: .milliseconds(50))
                }
            }
            defer { sampler.cancel() }
            // What reached each workload before: the file must hold, or count as dropped, every datagram that arrived.
            let arrivedBefore = try ["web1", "web2"].map { try lab.topology.udpDatagramsArrived(in: lab.topology[$0].namespace) }
            // 2 × 40,000 datagrams of 1,200 bytes: 96 MB, ~100 times the buffer.
            async let first: Void = UDPTraffic.send(from: lab.topology["client"], to: lab.topology["web1"], count: 40_000, size: 1_200,
                                                    topology: lab.topology, directory: lab.scratch)
            async let second: Void = UDPTraffic.send(from: lab.topology["client"], to: lab.topology["web2"], count: 40_000, size: 1_200,
                                                     topology: lab.topology, directory: lab.scratch)
            _ = try await (first, second)
            let dropsShown = try await eventually(timeout: .seconds(60), every: .milliseconds(500), "the tap's counters to show drops") { () -> UInt64? in
                let drops = try await lab.tap(id).agents?.map(\.drops).reduce(0, +) ?? 0
                return drops > 0 ? drops : nil
            }
            sampler.cancel()
            let growth = peak.value - baseline
            #expect(growth < 48 << 20, "the server grew by \(growth >> 20) MiB while 96 MB went through a stalled 1 MiB capture")

            try await lab.owner(["tap", "stop", id])
            FileManager.default.createFile(atPath: release, contents: nil)
            #expect(try await capture.waitForExit(timeout: .seconds(30)) == 0, "\(capture.stderr)")
            let summary = capture.stderr.split(separator: "\n").last.map(String.init) ?? ""
            _ = try Self.capinfos(path)
            let file = try Self.CaptureFile(path: path)
            #expect(file.interfaces.count == 2 && file.statistics.count == 2, "\(file.interfaces)")
            let dropped = file.statistics.values.compactMap(\.dropped).reduce(0, +)
            #expect(dropped >= dropsShown, "ISB drops \(dropped), tap counters \(dropsShown)")
            #expect(summary.contains(", \(dropped) dropped (kernel "), "\(summary)")
            // Nothing silently dropped: each datagram that reached a workload is in the file or counted as dropped
            // (the bridge floods the first datagram to the other workload to both until it learns the address: one
            // more at most), and the ISB's received count is the sum. All 40,000 reach it unless the kernel dropped
            // some on the way in (a full backlog on a loaded machine), before any capture could see them.
            let arrived = try zip(["web1", "web2"], arrivedBefore).map { role, before in
                (role, try lab.topology.udpDatagramsArrived(in: lab.topology[role].namespace) - before)
            }
            for interface in file.interfaces {
                let statistics = file.statistics[interface.name]
                let packets = UInt64(file.packets[interface.name] ?? 0)
                let reached = try #require(arrived.first { interface.name.contains("-\($0.0)/") }?.1, "\(interface.name): which workload?")
                #expect(reached <= 40_001 && (reached...reached + 1).contains(packets + (statistics?.dropped ?? 0)),
                        "\(interface.name): \(packets) packets, \(String(describing: statistics)), \(reached) datagrams arrived")
                #expect(statistics?.received == packets + (statistics?.dropped ?? 0),
                        "\(interface.name): \(packets) packets, \(String(describing: statistics))")
            }
        }
    }
}
