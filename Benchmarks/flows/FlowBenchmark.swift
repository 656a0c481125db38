import Foundation
import PacketKit
import TapsterAgent
import TapsterCore

/// Feeds a pcapng file through the agent's ``FlowSink`` as fast as one thread can — as the capture loop
/// does: `accept` per packet, `flush` after every round of 128 — and drains the tap's ``FlowExport`` every 8
/// rounds into ``FlowRecord``s (what the agent's reconciler does once a second on another thread; the drain is
/// timed with the rest, and also on its own). The file is read into memory first and walked with
/// ``PcapngPacketRun`` (borrowed bytes, nothing copied), so the time is the summary's, not the disk's. The
/// sink's time is the packets' own (its clock says 0), so records leave as they would live: a closed flow two
/// seconds (of capture time) after its close, the rest at the end (`close`, as when the tap stops).
///
/// Then `tshark -q -z conv,tcp -r FILE`, RUNS times, timed as a whole (process start to exit), and once on a
/// file without packets (tshark's start-up alone). Prints packets/s and records/s of both and their ratios.
enum FlowBenchmark {
    static let packetsPerRound = 128
    static let roundsPerDrain = 8

    struct Outcome {
        var seconds: Double
        var drainSeconds: Double
        var packets = 0
        var records = 0
        /// Records of ended flows (not `live`) and the packets they count: every flow's last record.
        var finalRecords = 0
        var finalPackets: UInt64 = 0
        var ends: [FlowEnd: Int] = [:]
        var withRTT = 0
        var httpExchanges = 0
        var flowsDropped: UInt64 = 0
        var httpUnparsed: UInt64 = 0
    }

    static func run(path: String, runs: Int) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        say("input: \(path), \(bytes.count) bytes")
        var outcomes: [Outcome] = []
        _ = try summarise(bytes)  // warm-up: page in the file's copy and the code
        for _ in 0..<max(runs, 1) { outcomes.append(try summarise(bytes)) }
        let sample = outcomes[0]
        let ends = FlowEnd.allCases.compactMap { end in sample.ends[end].map { "\(end.rawValue) \($0)" } }.joined(separator: ", ")
        say("agent FlowSink: \(sample.packets) packets -> \(sample.records) records (\(sample.finalRecords) final: \(ends); "
              + "\(sample.withRTT) with a handshake RTT; \(sample.httpExchanges) HTTP exchanges); packets in final records "
              + "\(sample.finalPackets); flows dropped \(sample.flowsDropped), HTTP unparsed \(sample.httpUnparsed)")
        for (index, outcome) in outcomes.enumerated() {
            say(String(format: "  run %d: %.3f s (drain into FlowRecords %.3f s): %.0f packets/s, %.0f records/s", index + 1,
                         outcome.seconds, outcome.drainSeconds, Double(outcome.packets) / outcome.seconds,
                         Double(outcome.records) / outcome.seconds))
        }
        let best = outcomes.min { $0.seconds < $1.seconds }!
        let median = outcomes.map(\.seconds).sorted()[outcomes.count / 2]

        guard let tshark = which("tshark") else {
            say("tshark is missing (apt-get install tshark): no comparison")
            return
        }
        let empty = path + ".empty.pcapng"
        try Traffic.writeEmpty(to: empty)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let startup = try (0..<3).map { _ in try timeTshark(tshark, empty).seconds }.min()!
        var tsharkRuns: [(seconds: Double, conversations: Int, packets: Int)] = []
        for run in 0..<max(runs, 1) {
            let result = try timeTshark(tshark, path)
            tsharkRuns.append(result)
            say(String(format: "  tshark run %d: %.3f s, %d conversations, %d packets in them", run + 1, result.seconds,
                         result.conversations, result.packets))
        }
        let tsharkBest = tsharkRuns.min { $0.seconds < $1.seconds }!
        let tsharkMedian = tsharkRuns.map(\.seconds).sorted()[tsharkRuns.count / 2]

        let agentPackets = Double(best.packets) / best.seconds, agentRecords = Double(best.records) / best.seconds
        let tsharkPackets = Double(tsharkBest.packets) / tsharkBest.seconds
        let tsharkRecords = Double(tsharkBest.conversations) / tsharkBest.seconds
        let net = max(tsharkBest.seconds - startup, 1e-9)
        say("")
        say("================================ flow summarisation, offline ================================")
        say("machine          \(ProcessInfo.processInfo.activeProcessorCount) cores; \(tsharkVersion(tshark)); best of \(outcomes.count) runs each")
        say(String(format: "agent FlowSink   %.0f packets/s, %.0f records/s (%d packets, %d records in %.3f s, median %.3f s; drain %.3f s of it)",
                     agentPackets, agentRecords, best.packets, best.records, best.seconds, median, best.drainSeconds))
        say(String(format: "tshark conv,tcp  %.0f packets/s, %.0f records/s (%d packets, %d conversations in %.3f s, median %.3f s; start-up alone %.3f s)",
                     tsharkPackets, tsharkRecords, tsharkBest.packets, tsharkBest.conversations, tsharkBest.seconds, tsharkMedian, startup))
        say(String(format: "ratio agent/tshark  %.1fx records/s, %.1fx packets/s (against tshark less its start-up: %.1fx)",
                     agentRecords / tsharkRecords, agentPackets / tsharkPackets,
                     agentPackets / (Double(tsharkBest.packets) / net)))
        let agree = best.finalRecords == tsharkBest.conversations && best.finalPackets == UInt64(tsharkBest.packets)
        say("counts           agent \(best.finalRecords) flows / \(best.finalPackets) packets, tshark \(tsharkBest.conversations) "
              + "conversations / \(tsharkBest.packets) packets: \(agree ? "equal" : "DIFFERENT")")
        say("=============================================================================================")
        if !agree || best.flowsDropped != 0 { exit(1) }
    }

    /// One pass of the whole file through a fresh sink and export (each reserves its limits, as a new tap does).
    static func summarise(_ bytes: [UInt8]) throws -> Outcome {
        let export = FlowExport(tapID: "flow-bench")
        let plan = CapturePlan(tapID: "flow-bench", source: CaptureSource(workload: "web", namespace: .host, interface: "eth0"),
                               deadline: .distantFuture)
        let sink = FlowSink(plan: plan, export: export, clock: { 0 })
        var outcome = Outcome(seconds: 0, drainSeconds: 0)
        var inRound = 0, rounds = 0
        let clock = ContinuousClock()
        var drainTime = Duration.zero
        func drain() {
            let started = clock.now
            let batch = export.drain()
            drainTime += clock.now - started
            outcome.records += batch.records.count
            for record in batch.records where record.end != .live {
                outcome.finalRecords += 1
                outcome.finalPackets += record.toServer.packets + record.toClient.packets
                outcome.ends[record.end, default: 0] += 1
                if record.rttMicroseconds != nil { outcome.withRTT += 1 }
            }
            for record in batch.records { outcome.httpExchanges += record.http.count }
            outcome.flowsDropped = batch.flowsDropped
            outcome.httpUnparsed = batch.httpUnparsed
        }
        let started = clock.now
        try bytes.withUnsafeBytes { buffer in
            try PcapngPacketRun.forEachPacket(in: buffer) { (packet: PcapngPacketRun.Packet) in
                sink.accept(packet.data, originalLength: Int(packet.originalLength), timestampNanoseconds: packet.timestamp)
                outcome.packets += 1
                inRound += 1
                if inRound == packetsPerRound {
                    inRound = 0
                    _ = sink.flush()
                    rounds += 1
                    if rounds % roundsPerDrain == 0 { drain() }
                }
            }
        }
        _ = sink.flush()
        drain()
        sink.close()
        drain()
        outcome.seconds = (clock.now - started).seconds
        outcome.drainSeconds = drainTime.seconds
        return outcome
    }

    /// Runs `tshark -q -z conv,tcp -r FILE`: its wall time, and the conversations and packets of its table.
    static func timeTshark(_ tshark: String, _ file: String) throws -> (seconds: Double, conversations: Int, packets: Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tshark)
        process.arguments = ["-q", "-z", "conv,tcp", "-r", file]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        let clock = ContinuousClock()
        let started = clock.now
        try process.run()
        let text = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let seconds = (clock.now - started).seconds
        guard process.terminationStatus == 0 else { throw BenchError("tshark exited with \(process.terminationStatus)") }
        // A row: `A:port <-> B:port  frames bytes  frames bytes  frames bytes  start duration` (frames ← , → , total).
        var conversations = 0, packets = 0
        for line in String(decoding: text, as: UTF8.self).split(separator: "\n") where line.contains("<->") {
            // Each size is a number and a unit (`1400 bytes`, `12 kB`): the frames are fields 3, 6 and 9.
            let fields = line.split(whereSeparator: { $0 == " " })
            guard fields.count >= 10, fields[1] == "<->", let total = Int(fields[9]) else {
                throw BenchError("tshark: unexpected row \(line)")
            }
            conversations += 1
            packets += total
        }
        return (seconds, conversations, packets)
    }

    static func which(_ tool: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static func tsharkVersion(_ tshark: String) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tshark)
        process.arguments = ["--version"]
        let output = Pipe()
        process.standardOutput = output
        guard (try? process.run()) != nil else { return "tshark" }
        let text = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let first = String(decoding: text, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "tshark"
        return first.hasSuffix(".") ? String(first.dropLast()) : first
    }
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
