import Foundation
import PacketKit
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// Captures when a part fails, over the two-host lab of ``CaptureEndToEndTests``: nothing is lost without
/// being said. An agent killed mid-capture is recorded absent — in the pcapng, the summary and the capture
/// record; a server killed mid-capture leaves the client with a valid file ended by statistics blocks.
@Suite("Capture faults end to end", .serialized, .timeLimit(.minutes(5)))
struct CaptureFaultEndToEndTests {
    /// Alice's capture as `tapster capture get -o json` shows it.
    static func capture(_ lab: DataPlaneLab, _ id: String) async throws -> Capture {
        try lab.decode(Capture.self, try await lab.owner(["capture", "get", id, "-o", "json"]).stdout)
    }

    /// Sends a few datagrams from the client to `role`.
    static func udp(_ lab: DataPlaneLab, to role: String, count: Int = 10) async throws {
        try await UDPTraffic.send(from: lab.topology["client"], to: lab.topology[role], count: count, size: 100,
                                  topology: lab.topology, directory: lab.scratch)
    }

    @Test("an agent killed (kill -9) for 2 s mid-capture is recorded absent: a comment tshark shows on its first packet after, the summary line, the capture record")
    func killedAgentIsRecordedAbsent() async throws {
        try await CaptureEndToEndTests.withTwoHosts { lab in
            let path = lab.scratch.path + "/gap.pcapng"
            let (capture, id) = try await CaptureEndToEndTests.startCapture(lab, ["-l", "app=web", "-i", "eth0", "--for", "2m", "-w", path, "udp"])
            defer { capture.stop() }
            let web1 = CaptureEndToEndTests.interfaceName(lab, host: 0, role: "web1")
            try await Self.udp(lab, to: "web1")
            try await Self.udp(lab, to: "web2")
            let before = try await eventually(timeout: .seconds(60), every: .milliseconds(500), "web1's packets in the capture record") { () -> UInt64? in
                let packets = try await Self.capture(lab, id).interfaces.first { $0.name == web1 }?.packets ?? 0
                return packets > 0 ? packets : nil
            }

            lab.killAgent()
            try await Task.sleep(for: .seconds(2))
            try await lab.startAgent(host: 0)
            // The restarted agent gets the capture's tap again; web1's packets flow again.
            _ = try await eventually(timeout: .seconds(30), every: .milliseconds(500), "web1's packets to flow again") { () -> Bool? in
                try await Self.udp(lab, to: "web1", count: 3)
                let packets = try await Self.capture(lab, id).interfaces.first { $0.name == web1 }?.packets ?? 0
                return packets > before ? true : nil
            }
            try await lab.owner(["tap", "stop", id])
            #expect(try await capture.waitForExit(timeout: .seconds(60)) == 0, "\(capture.stderr)")

            let record = try await Self.capture(lab, id)
            let absence = try #require(record.absences?.first, "the capture record names the absence: \(record)")
            #expect(record.absences?.count == 1 && absence.host == lab.agentName)
            let seconds = try #require(absence.until).timeIntervalSince(absence.from)
            #expect(seconds >= 2 && seconds < 30, "absent for \(seconds) s")
            let summary = capture.stderr.split(separator: "\n").last.map(String.init) ?? ""
            #expect(summary.contains(", host \(lab.agentName) absent for "), "\(summary)")

            let comments = try WiresharkTools.run("tshark", ["-r", path, "-Y", "frame.comment", "-T", "fields",
                                                             "-e", "frame.interface_name", "-e", "frame.comment"])
            #expect(comments.status == 0 && comments.warnings.isEmpty, "tshark: \(comments.stderr)")
            #expect(comments.lines.count == 1, "one packet carries the absence: \(comments.stdout)")
            #expect(comments.lines.first?.hasPrefix("\(web1)\ttapster: host \(lab.agentName) was absent from ") == true, "\(comments.stdout)")
            _ = try CaptureEndToEndTests.capinfos(path)
        }
    }

    @Test("a server killed mid-capture: tapster capture -w ends the file with an ISB per interface (capinfos reads it), says why in one line, exits 4")
    func killedServerLeavesAValidFile() async throws {
        try await CaptureEndToEndTests.withTwoHosts { lab in
            let path = lab.scratch.path + "/cut.pcapng"
            let (capture, id) = try await CaptureEndToEndTests.startCapture(lab, ["-l", "app=web", "-i", "eth0", "--for", "2m", "-w", path, "udp"])
            defer { capture.stop() }
            try await Self.udp(lab, to: "web1")
            try await Self.udp(lab, to: "web2")
            _ = try await eventually(timeout: .seconds(60), every: .milliseconds(500), "packets of both hosts in the capture record") { () -> Bool? in
                try await Self.capture(lab, id).interfaces.filter { $0.packets > 0 }.count == 2 ? true : nil
            }
            // Out of the reorder window, into the client's file.
            _ = try await eventually(timeout: .seconds(60), every: .milliseconds(200), "20 packets in \(path)") { () -> Bool? in
                try GrowingPcapng.enhancedPackets(inFileAt: path) >= 20 ? true : nil
            }

            lab.server.kill()
            #expect(try await capture.waitForExit(timeout: .seconds(60)) == 4, "\(capture.stderr)")
            let lines = capture.stderr.split(separator: "\n").map(String.init)
            #expect(lines.count == 1, "one line: \(capture.stderr)")
            #expect(lines.first?.hasPrefix("error: the server went away mid-capture (") == true, "\(capture.stderr)")
            #expect(lines.first?.contains("; \(path) is complete up to ") == true, "\(capture.stderr)")
            #expect(lines.first?.hasSuffix(", ended with statistics for its 2 interfaces (unavailable)") == true, "\(capture.stderr)")

            _ = try CaptureEndToEndTests.capinfos(path)
            let blocks = try PcapngReader.readAll(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            let interfaces = blocks.compactMap { if case .interfaceDescription(let idb) = $0 { idb } else { nil } }
            let statistics = blocks.compactMap { if case .interfaceStatistics(let isb) = $0 { isb } else { nil } }
            let packets = blocks.compactMap { if case .enhancedPacket(let epb) = $0 { epb } else { nil } }
            #expect(interfaces.count == 2 && statistics.map(\.interfaceID).sorted() == [0, 1], "an ISB per interface")
            #expect(statistics.allSatisfy { $0.comments.first?.hasPrefix("tapster: the server went away mid-capture") == true })
            for isb in statistics {
                #expect(isb.userDelivered == UInt64(packets.filter { $0.interfaceID == isb.interfaceID }.count), "the packets the file holds")
            }
            #expect(packets.count >= 20, "the packets streamed before the server went away: \(packets.count)")
        }
    }
}
