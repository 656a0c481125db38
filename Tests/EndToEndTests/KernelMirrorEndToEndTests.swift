import Foundation
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// In-kernel mirroring with a real server and agent: a VXLAN tap is mirrored by the kernel and says so in
/// `tapster tap get`, an ERSPAN tap says why it is not, and a kernel mirror ends at its deadline with the
/// server gone.
@Suite("In-kernel mirroring end to end", .serialized, .timeLimit(.minutes(5)))
struct KernelMirrorEndToEndTests {
    /// Filter `web` (app=web, tcp port 5432) → target `tool` of `kind` arguments, granted to alice.
    private func mirrorWebToTool(_ lab: DataPlaneLab, _ kind: [String]) async throws {
        try await lab.admin(["filter", "create", "web", "--selector", "app=web", "--bpf", "tcp port 5432"])
        try await lab.admin(["target", "create", "tool", "--destination", lab.topology.tool.address] + kind)
        try await lab.grant(filter: "web", target: "tool")
    }

    @Test func aVXLANTapIsMirroredInTheKernelAndTapGetSaysSo() async throws {
        try await DataPlaneLab.with(agentArguments: ["--datapath", "kernel"]) { lab in
            try await mirrorWebToTool(lab, ["--kind", "vxlan", "--vni", "6001"])
            let listeners = try await lab.listen(["db"])
            defer { listeners.forEach { $0.stop() } }
            let tap = try await lab.createTap(filter: "web", target: "tool")
            let status = try await lab.waitForTap(tap, state: .applied)
            let tool = try await lab.toolCapture(captureFilter: "udp port 4789", extra: ["vxlan.vni"])
            defer { tool.stop() }

            try await lab.send(from: "web", to: "db", chunks: 20)
            let mirrored = await tool.segments(atLeast: 25)
            let shown = try await lab.admin(["tap", "get", tap])

            #expect(status.datapath == .kernel)
            #expect(status.datapathReason == nil)
            #expect(mirrored.count >= 25)
            #expect(tool.rows.allSatisfy { $0["vxlan.vni"] == "6001" })
            let row = try #require(shown.stdout.split(separator: "\n").first { $0.contains(lab.agentName) && $0.contains("applied") })
            #expect(row.contains(" kernel "), "\(shown.stdout)")
            let counted = try await eventually("the agent to report the mirrored packets") { () -> UInt64? in
                let packets = try await lab.agentStatus(tap: tap)?.packets ?? 0
                return packets >= UInt64(mirrored.count) ? packets : nil
            }
            #expect(counted == UInt64(tool.rows.count), "the kernel's count is what the tool received")
        }
    }

    @Test("A workload that leaves a kernel tap gives back its veth pair while the tap goes on, and its deleted namespace is not held")
    func aDepartedWorkloadsLegIsReleased() async throws {
        try await DataPlaneLab.with(roles: ["web1", "web2", "db"], agentArguments: ["--datapath", "kernel"]) { lab in
            try await mirrorWebToTool(lab, ["--kind", "vxlan", "--vni", "6002"])
            let tap = try await lab.createTap(filter: "web", target: "tool")
            _ = try await lab.waitForTap(tap, state: .applied)
            // The host's ends of the tap's veth pairs, one per namespace (the tunnel device's alias names its tool instead).
            let legs = { try ProcessRunner.run(["ip", "-o", "-d", "link"]).stdout.split(separator: "\n")
                .filter { $0.contains("alias tapster mirror \(lab.agentName): tap \(tap)") }.count }
            #expect(try legs() == 2)
            let departed = lab.topology["web2"]

            try ProcessRunner.run(["ip", "netns", "del", departed.namespace])

            try await eventually(timeout: .seconds(60), every: .milliseconds(500), "web2's leg to go") { try legs() == 1 ? true : nil }
            // The bridge's port to web2 goes only when nothing holds web2's namespace any more (a socket of the agent's would).
            try await eventually(timeout: .seconds(60), every: .milliseconds(500), "web2's namespace to be destroyed") {
                try ProcessRunner.run(["ip", "-n", "\(lab.topology.prefix)-lan", "link", "show", "web2"], allowFailure: true).status != 0 ? true : nil
            }
            #expect(try await lab.agentStatus(tap: tap)?.state == .applied, "the tap goes on for web1")
        }
    }

    @Test func anERSPANTapRunsInUserspaceAndSaysWhy() async throws {
        try await DataPlaneLab.with(agentArguments: ["--datapath", "kernel"]) { lab in
            try await mirrorWebToTool(lab, ["--kind", "erspan", "--session-id", "4"])
            let tap = try await lab.createTap(filter: "web", target: "tool")
            let status = try await lab.waitForTap(tap, state: .applied)

            #expect(status.datapath == .userspace)
            #expect(status.datapathReason == "GRE and ERSPAN are encapsulated by the agent (in-kernel mirroring covers VXLAN)")
        }
    }

    @Test func aKernelMirrorEndsAtItsDeadlineWhenTheServerIsGone() async throws {
        try await DataPlaneLab.with(agentArguments: ["--datapath", "kernel"]) { lab in
            try await mirrorWebToTool(lab, ["--kind", "vxlan", "--vni", "6002"])
            let listeners = try await lab.listen(["db"])
            defer { listeners.forEach { $0.stop() } }
            let tool = try await lab.toolCapture(captureFilter: "udp port 4789", extra: [])
            defer { tool.stop() }
            // What db's side saw, to tell "the mirror stopped early" from "no traffic was sent then" (under a full
            // suite's load one connection took seconds to start).
            let reference = try await lab.referenceCapture(on: "db", extra: ["frame.time_epoch"])
            defer { reference.stop() }
            let tap = try await lab.createTap(filter: "web", target: "tool", duration: "30s")
            let deadline = try await lab.tap(tap).deadline
            #expect(try await lab.waitForTap(tap, state: .applied).datapath == .kernel)
            lab.server.kill()
            // Steady traffic from now until 3 s past the deadline: one connection per second.
            while Date() < deadline.addingTimeInterval(3) {
                try await lab.send(from: "web", to: "db", chunks: 5)
                try await Task.sleep(for: .seconds(1))
            }
            await DeadlineVerdict.judge(mirrored: tool, sent: reference, deadline: deadline, slack: DeadlineVerdict.kernelSlack)
                .expectStoppedAtTheDeadline()
            let tunnels = try ProcessRunner.run(["ip", "-o", "-d", "link"]).stdout.split(separator: "\n")
                .filter { $0.contains("alias tapster mirror vxlan \(lab.topology.tool.address) vni 6002 ") }
            #expect(tunnels.isEmpty, "the tunnel device is gone: \(tunnels)")
        }
    }
}
