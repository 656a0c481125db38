import Foundation
import TapsterAPI
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// The agent's life with a real server: enrolment, inventory, fail-safe deadlines, restarts, failures, revocation.
@Suite("Agent lifecycle end to end", .serialized, .timeLimit(.minutes(5)))
struct AgentLifecycleEndToEndTests {
    /// Steady traffic web → db (a segment every 50 ms) for `seconds`, in the background.
    private func steadyTraffic(_ lab: DataPlaneLab, seconds: Double) throws -> BackgroundProcess {
        let chunks = Int(seconds / 0.05)
        return try lab.topology.spawn(
            in: lab.topology["web"].namespace, name: "steady-\(UUID().uuidString.prefix(6))",
            [TCPTraffic.python, "-c", """
                import socket, time
                c = socket.create_connection(("\(lab.topology["db"].address)", 5432), timeout=10)
                c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                for _ in range(\(chunks)):
                    c.sendall(b"y" * 100)
                    time.sleep(0.05)
                c.close()
                """],
            directory: lab.scratch)
    }

    /// Sets up filter `web` (app=web, tcp port 5432) → ERSPAN II target `tool`, granted to alice.
    private func mirrorWebToTool(_ lab: DataPlaneLab) async throws {
        try await lab.admin(["filter", "create", "web", "--selector", "app=web", "--bpf", "tcp port 5432"])
        try await lab.admin(["target", "create", "tool", "--kind", "erspan", "--session-id", "5", "--destination", lab.topology.tool.address])
        try await lab.grant(filter: "web", target: "tool")
    }

    @Test func enrolledAgentIsListedConnectedWithItsWorkloadsAndLabels() async throws {
        try await DataPlaneLab.with { lab in
            let agents = try await lab.admin(["agent", "list"])
            let row = try #require(agents.stdout.split(separator: "\n").first { $0.contains(lab.agentName) })
            #expect(row.contains("connected"), "\(agents.stdout)")
            let web = try await lab.workloads(selector: "app=web")
            #expect(web.count == 1)
            #expect(web.first?.host == lab.agentName)
            #expect(web.first?.labels == ["app": "web", "zone": "lab", "tenant": "shop"])
            #expect(web.first?.tenant == "shop")
            #expect(web.first?.interfaces.first?.ips == [try IPAddress(parsing: lab.topology["web"].address)])
            #expect(web.first?.interfaces.first?.mac == lab.topology["web"].mac)
        }
    }

    /// Runs a second agent that tries to enrol with `token`; what it printed when it exited.
    private func enrolAnother(_ lab: DataPlaneLab, token: String, name: String? = nil) async throws -> (status: Int32, stderr: String) {
        let name = name ?? "\(lab.topology.prefix)-x\(UInt8.random(in: 0...255))"
        let agent = try BackgroundProcess(name: name, [lab.binary, "agent", "--server", lab.server.agentAddress, "--name", name,
                                                       "--data-dir", lab.scratch.url.path + "/" + name, "--join-token", token],
                                          directory: lab.scratch)
        defer { agent.stop() }
        let status = try await agent.waitForExit(timeout: .seconds(30))
        return (status, agent.stderr)
    }

    @Test("A second agent of the running agent's name — started again on the same data directory — exits at once saying so, and the first keeps its connection and its tap")
    func aSecondAgentOfTheSameNameRefusesToStart() async throws {
        try await DataPlaneLab.with { lab in
            try await mirrorWebToTool(lab)
            let tap = try await lab.createTap(filter: "web", target: "tool", duration: "5m")
            try await lab.waitForTap(tap, state: .applied)
            let first = try #require(lab.agent)
            // Enrolled already (its key and certificate are there): without the lock it would go on to connect and sweep.
            let second = try BackgroundProcess(name: "same-name", [lab.binary, "agent", "--server", lab.server.agentAddress, "--name", lab.agentName,
                                                                   "--data-dir", lab.scratch.url.path + "/agent-data-\(lab.agentName)"],
                                               directory: lab.scratch)
            defer { second.stop() }

            #expect(try await second.waitForExit(timeout: .seconds(30)) == 1)
            #expect(second.stderr.contains("error: an agent named \"\(lab.agentName)\" already runs on this host (pid \(first.pid) holds "
                                           + "@tapster-agent/\(lab.agentName)): two would take each other's kernel mirrors for their own (already_running)\n"),
                    "\(second.stderr)")
            #expect(first.isRunning)
            let agents = try lab.decode(ItemList<Agent>.self, try await lab.admin(["agent", "list", "-o", "json"]).stdout).items
            #expect(agents.first { $0.name == lab.agentName }?.state == .connected)
            try await lab.waitForTap(tap, state: .applied)
        }
    }

    @Test func aJoinTokenEnrolsOnlyOnce() async throws {
        try await DataPlaneLab.with { lab in
            let refused = try await enrolAnother(lab, token: lab.firstJoinToken)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("already used"), "\(refused.stderr)")
        }
    }

    @Test func anExpiredJoinTokenIsRefused() async throws {
        try await DataPlaneLab.with { lab in
            struct Created: Decodable { var token: String }
            let name = "\(lab.topology.prefix)-late"
            let created = try await lab.admin(["agent", "token", "create", name, "--ttl", "1s", "-o", "json"])
            let token = try lab.decode(Created.self, created.stdout).token
            try await Task.sleep(for: .milliseconds(1500))
            let refused = try await enrolAnother(lab, token: token, name: name)
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("expired"), "\(refused.stderr)")
        }
    }

    /// Mirrors web → tool through a tap lasting `duration`, runs `whenApplied` once the agent applied it, sends
    /// steady traffic from then until 3 s past the deadline, and compares what reached the tool with db's own
    /// capture. The duration leaves room for a slow apply on loaded cores: the traffic window is measured from the
    /// deadline, never from a fixed start.
    private func mirrorPastTheDeadline(_ lab: DataPlaneLab, duration: String = "45s",
                                       whenApplied: () -> Void = {}) async throws -> (tap: String, verdict: DeadlineVerdict) {
        try await mirrorWebToTool(lab)
        let listeners = try await lab.listen(["db"])
        defer { listeners.forEach { $0.stop() } }
        let tool = try await lab.toolCapture(captureFilter: "proto gre", extra: [])
        defer { tool.stop() }
        let reference = try await lab.referenceCapture(on: "db", extra: ["frame.time_epoch"])
        defer { reference.stop() }
        let id = try await lab.createTap(filter: "web", target: "tool", duration: duration)
        let deadline = try await lab.tap(id).deadline
        try await lab.waitForTap(id, state: .applied)
        whenApplied()
        let seconds = max(deadline.timeIntervalSinceNow, 0) + 3
        let traffic = try steadyTraffic(lab, seconds: seconds)
        defer { traffic.stop() }
        _ = try await traffic.waitForExit(timeout: .seconds(seconds + 30))

        return (id, await DeadlineVerdict.judge(mirrored: tool, sent: reference, deadline: deadline))
    }

    @Test func aTapStopsAtItsDeadlineAndNothingFollows() async throws {
        try await DataPlaneLab.with { lab in
            let (id, verdict) = try await mirrorPastTheDeadline(lab)
            verdict.expectStoppedAtTheDeadline()
            #expect(try await lab.tap(id).state == .expired)
        }
    }

    @Test func theAgentStopsAtTheDeadlineByItselfWhenTheServerIsGone() async throws {
        try await DataPlaneLab.with { lab in
            let (_, verdict) = try await mirrorPastTheDeadline(lab) { lab.server.kill() }
            verdict.expectStoppedAtTheDeadline()
        }
    }

    @Test func anAgentKilledAndRestartedResumesTheTapWithoutDuplicates() async throws {
        try await DataPlaneLab.with { lab in
            try await mirrorWebToTool(lab)
            let listeners = try await lab.listen(["db"])
            defer { listeners.forEach { $0.stop() } }
            let id = try await lab.createTap(filter: "web", target: "tool")
            try await lab.waitForTap(id, state: .applied)

            lab.killAgent()
            let before = try #require(try await lab.agentStatus(tap: id)).updatedAt
            try await lab.startAgent()
            try await eventually(timeout: .seconds(60), every: .milliseconds(500), "the restarted agent to report the tap") {
                let status = try await lab.agentStatus(tap: id)
                return status.map { $0.updatedAt > before && $0.state == .applied } == true ? true : nil
            }
            let reference = try await lab.referenceCapture(on: "web")
            defer { reference.stop() }
            let tool = try await lab.toolCapture(captureFilter: "proto gre", extra: [])
            defer { tool.stop() }
            try await lab.send(from: "web", to: "db", chunks: 20)
            let sent = try await reference.settledSegments()
            // A copy of each first (the tool's tshark may lag), then whatever else comes (a duplicate would).
            _ = await tool.segments(atLeast: sent.count)
            let mirrored = try await tool.settledSegments()
            #expect(mirrored == sent)
        }
    }

    @Test func afterAServerRestartTheAgentReconnectsAndAppliesNewTaps() async throws {
        try await DataPlaneLab.with { lab in
            try await mirrorWebToTool(lab)
            lab.server.kill()
            try await lab.server.start()
            let id = try await lab.createTap(filter: "web", target: "tool")
            try await lab.waitForTap(id, state: .applied, timeout: .seconds(60))
        }
    }

    @Test func aCaptureWhoseInterfaceVanishesIsReportedFailedWithTheReason() async throws {
        try await DataPlaneLab.with { lab in
            try await lab.admin(["filter", "create", "peer", "--selector", "app=peer"])
            try await lab.admin(["target", "create", "tool", "--kind", "gre", "--destination", lab.topology.tool.address])
            try await lab.grant(filter: "peer", target: "tool")
            let id = try await lab.createTap(filter: "peer", target: "tool")
            try await lab.waitForTap(id, state: .applied)
            try lab.topology.run(in: lab.topology["peer"].namespace, ["ip", "link", "del", "eth0"])
            let failed = try await lab.waitForTap(id, state: .failed)
            #expect(failed.reason?.contains("eth0") == true, "\(String(describing: failed.reason))")
        }
    }

    @Test func aRevokedAgentIsRefusedAndDisconnected() async throws {
        try await DataPlaneLab.with { lab in
            try await lab.admin(["agent", "revoke", lab.agentName])
            try await eventually(timeout: .seconds(60), every: .milliseconds(500), "the agent to be listed revoked") {
                try await lab.admin(["agent", "list"]).stdout.contains("revoked") ? true : nil
            }
            // It keeps trying, and the server keeps refusing its certificate.
            try await eventually(timeout: .seconds(60), "the agent to log a refused connection") {
                (lab.agent?.stderr ?? "").contains("control channel") ? true : nil
            }
            try await mirrorWebToTool(lab)
            let id = try await lab.createTap(filter: "web", target: "tool")
            // The agent tries again after the tap exists (its backoff is at most 5 s) and is refused again: had it got
            // through, it would have been sent the tap. Two more refusals: the first may be of an attempt begun before.
            func refusals() -> Int { (lab.agent?.stderr ?? "").components(separatedBy: "control channel").count - 1 }
            let refused = refusals()
            try await eventually(timeout: .seconds(60), "the agent to be refused twice more") { refusals() >= refused + 2 ? true : nil }
            #expect(try await lab.agentStatus(tap: id) == nil)
        }
    }
}
