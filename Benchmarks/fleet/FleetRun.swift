import Foundation
import TapsterClient
import TapsterCore
import TapsterFleetSimulator
import TapsterSystemTestSupport

/// One measurement: a fresh `tapster serve`, `agents` simulated agents of `workloads` workloads each, then
/// taps, memory and CPU, and a restart.
struct FleetRun {
    var binary: String
    var agents: Int
    var workloads: Int
    var taps: Int
    var statusInterval: Duration
    var serveArguments: [String]
    /// How long any one wait may take, per agent (a bound for a failing run, not a measurement).
    var secondsPerAgent: Double
    /// Whether a tap on every host runs through the restart (each agent's first set must hold it, and its first
    /// status report names it: what a restart in production meets), rather than none.
    var liveTap: Bool

    private var timeout: Duration { .seconds(120 + secondsPerAgent * Double(agents)) }

    func run() async throws {
        say("fleet N=\(agents) W=\(workloads): \(taps) taps, status every \(statusInterval), tapster serve \(serveArguments.joined(separator: " "))")
        try await ServerProcess.with(binary: binary, arguments: serveArguments) { server in
            let scratch = try ScratchDirectory(label: "fleet-agents")
            defer { scratch.remove() }
            try await APIClient.with(server: server.url, token: server.adminToken) { api in
                try await measure(server, api: FleetAPI(api: api), keys: scratch.url)
            }
        }
    }

    private func measure(_ server: ServerProcess, api: FleetAPI, keys: URL) async throws {
        guard let pid = server.pid, let endpoint = FleetEndpoint(server.agentAddress) else { throw BenchError("the server did not start") }
        var meter = ProcessMeter(pid: pid)
        let idleCPU = try meter.cpuSeconds(), idleRSS = try meter.residentBytes()

        try await api.createFilterAndTarget()
        let fleet = Fleet(count: agents, workloads: workloads, endpoint: endpoint, directory: keys, statusInterval: statusInterval)
        let enrolStart = Date()
        try await fleet.enrol(concurrency: 16) { try await api.joinToken(for: $0) }
        report("enrol", "\(agents) agents (join token + Enroll) in \(seconds(Date().timeIntervalSince(enrolStart)))")

        let connectStart = Date()
        let running = Task { await fleet.run() }
        defer { running.cancel() }
        let connected = try await waitForAll("agents to connect", since: connectStart) { fleet.ledger.established(since: connectStart) }
        report("connect", "\(agents) agents established in \(seconds(connected))")

        // Warm-up: every host's inventory is in once one tap reached every agent.
        let warmUp = try await applyAndStop(api: api, fleet: fleet)
        report("warm-up tap", "applied by all \(agents) in \(seconds(Percentiles(warmUp.applied).max)), "
               + "withdrawn in \(seconds(Percentiles(warmUp.withdrawn).max))")

        let connectedCPU = try meter.cpuSeconds()
        try await Task.sleep(for: .seconds(10))
        let steadyCPU = try meter.cpuSeconds() - connectedCPU
        let connectedRSS = try meter.residentBytes()

        var applied: [Double] = [], withdrawn: [Double] = []
        for _ in 0..<taps {
            let latencies = try await applyAndStop(api: api, fleet: fleet)
            applied += latencies.applied
            withdrawn += latencies.withdrawn
        }
        report("tap applied", "\(distribution(Percentiles(applied))) (create request -> desired set at the agent; \(taps) taps x \(agents) agents)")
        report("tap withdrawn", "\(distribution(Percentiles(withdrawn))) (stop request -> set without it at the agent)")
        let perAgentRSS = Double(connectedRSS - idleRSS) / Double(agents)
        report("server CPU", String(format: "enrol + connect + warm-up %.1f s (%.1f ms per agent); connected and idle %.2f s per s over 10 s (%.3f ms per agent per s)",
                                    connectedCPU - idleCPU, (connectedCPU - idleCPU) * 1000 / Double(agents), steadyCPU / 10,
                                    steadyCPU / 10 * 1000 / Double(agents)))
        report("server memory", String(format: "VmRSS idle %.1f MB, with %d agents %.1f MB: %.1f KB per agent (10,000 agents: about %.0f MB)",
                                       megabytes(idleRSS), agents, megabytes(connectedRSS), perAgentRSS / 1024,
                                       (Double(idleRSS) + perAgentRSS * 10_000) / 1_048_576))

        // The reconnect storm: kill -9, start again on the same database and ports.
        var held: Tap?
        if liveTap {
            let tap = try await api.createTap()
            try await waitForAll("every agent to apply tap \(tap.id) before the restart", since: Date()) { fleet.ledger.applied(tap.id) }
            held = tap
        }
        let queueBefore = ListenQueueCounters.read()
        server.kill()
        let restart = Date()
        try await server.start()
        // The restarted server's log, for a look at the storm (also when the agents fail to come back).
        defer {
            if let path = ProcessInfo.processInfo.environment["FLEET_BENCH_SERVER_LOG"] {
                try? server.log.write(toFile: path, atomically: true, encoding: .utf8)
            }
        }
        let healthy = Date().timeIntervalSince(restart)
        // Ready also means the database answers the readiness probe within 2 s, which a storm of N agents
        // can delay: waited for as long as any other step.
        try await server.waitUntilReady(timeout: timeout)
        let ready = Date().timeIntervalSince(restart)
        guard let restarted = server.pid else { throw BenchError("the server did not restart") }
        meter = ProcessMeter(pid: restarted)
        let reconnected = try await waitForAll("agents to reconnect", since: restart) { fleet.ledger.established(since: restart) }
        let queueAfter = ListenQueueCounters.read()
        // Errors after ready are attempts begun once the server was ready; an attempt begun before (refused while
        // the server started) can end after it, and is counted apart. A storm can delay readiness (the database's
        // answer) past most of the reconnect, so every attempt since the restart that failed is also listed.
        let readyAt = restart.addingTimeInterval(ready)
        let sinceRestart = fleet.ledger.failures(begunSince: restart)
        let afterReady = sinceRestart.filter { $0.began >= readyAt }
        let late = sinceRestart.filter { $0.began < readyAt && $0.at >= readyAt }
        report("reconnect", "all \(agents) agents reconnected \(seconds(reconnected)) after the restart (server healthy after \(seconds(healthy)), "
               + "ready (/readyz: agent port open) after \(seconds(ready)), server CPU \(String(format: "%.1f", try meter.cpuSeconds())) s); "
               + "\(afterReady.count) channel errors after ready\(Self.byReason(afterReady, 5)); "
               + "\(late.count) attempts begun before ready failed after it\(Self.byReason(late, 3)); "
               + "\(sinceRestart.count) attempts failed since the restart\(Self.byReason(sinceRestart, 3))")
        if let queueBefore, let queueAfter {
            report("listen queue", "\(queueAfter.overflows - queueBefore.overflows) overflows, \(queueAfter.drops - queueBefore.drops) drops "
                   + "during the reconnect (the kernel's TcpExt ListenOverflows and ListenDrops, all of this namespace's listeners)")
        }
        if let held {
            // A tap planned after the restart reaches every agent: by then each agent's sets since the restart were
            // its first and at least one more, and none may have lacked the live tap.
            let second = try await api.createTap()
            try await waitForAll("every agent to apply tap \(second.id) after the restart", since: Date()) { fleet.ledger.applied(second.id) }
            let withdrew = fleet.ledger.withdrawn(held.id).count
            report("live tap", "kept by \(agents - withdrew) of \(agents) agents across the restart (\(withdrew) sets lacked it)")
        }
        let errors = server.log.split(separator: "\n").filter { $0.contains(" error tapster") }
        report("server log", "\(errors.count) error lines" + (errors.first.map { "; the first: \($0.prefix(300))" } ?? ""))
        running.cancel()
    }

    /// `failures` grouped by reason, the most frequent `limit` first: `: 153 × …; 5 × …`, or nothing.
    private static func byReason(_ failures: [FleetLedger.Failure], _ limit: Int) -> String {
        let groups = Dictionary(grouping: failures, by: \.reason).sorted { ($0.value.count, $1.key) > ($1.value.count, $0.key) }
        return groups.isEmpty ? "" : ": " + groups.prefix(limit).map { "\($0.value.count) × \($0.key)" }.joined(separator: "; ")
    }

    /// Creates a tap, waits until every agent applied it, stops it, waits until every agent withdrew it;
    /// returns each agent's latency, in seconds, from the create request and from the stop request.
    private func applyAndStop(api: FleetAPI, fleet: Fleet) async throws -> (applied: [Double], withdrawn: [Double]) {
        let created = Date()
        let tap = try await api.createTap()
        try await waitForAll("every agent to apply tap \(tap.id)", since: created) { fleet.ledger.applied(tap.id) }
        let stopped = Date()
        try await api.stopTap(tap.id)
        try await waitForAll("every agent to withdraw tap \(tap.id)", since: stopped) { fleet.ledger.withdrawn(tap.id) }
        return (fleet.ledger.applied(tap.id).values.map { $0.timeIntervalSince(created) },
                fleet.ledger.withdrawn(tap.id).values.map { $0.timeIntervalSince(stopped) })
    }

    /// Waits until `observed()` names every agent; returns the latest of their times after `start`, in seconds.
    @discardableResult
    private func waitForAll(_ what: String, since start: Date, _ observed: @escaping @Sendable () -> [String: Date]) async throws -> Double {
        do {
            let times = try await eventually(timeout: timeout, every: .milliseconds(20), what) { () -> [String: Date]? in
                let times = observed()
                return times.count >= agents ? times : nil
            }
            return (times.values.max() ?? start).timeIntervalSince(start)
        } catch let timedOut as TimedOut {
            throw BenchError("\(timedOut): only \(observed().count) of \(agents)")
        }
    }

    private func report(_ what: String, _ text: String) {
        say("  " + what.padding(toLength: 15, withPad: " ", startingAt: 0) + text)
    }

    private func distribution(_ p: Percentiles) -> String {
        "p50 \(milliseconds(p.at(50))), p99 \(milliseconds(p.at(99))), max \(milliseconds(p.max)) over \(p.count)"
    }

    private func milliseconds(_ seconds: Double) -> String { String(format: "%.0f ms", seconds * 1000) }
    private func seconds(_ seconds: Double) -> String { String(format: "%.2f s", seconds) }
    private func megabytes(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }
}

/// The benchmark could not go on.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
