import Foundation
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// One simulated site for end-to-end tests: workloads `web`, `db`, `peer` and `mon` (a monitoring port) in
/// network namespaces on one bridge, a `tool` namespace reachable from the host, a real `tapster serve`, and a
/// real `tapster agent` (this host's agent, owning the lab's namespaces, labelling them `app=<role>`), enrolled
/// with a join token. Owner `alice` (tenant `shop`) is logged in. Everything is removed afterwards.
final class DataPlaneLab: @unchecked Sendable {
    let binary: String
    let topology: NetnsTopology
    let scratch: ScratchDirectory
    let server: ServerProcess
    let adminCLI: CLI
    let ownerCLI: CLI
    /// The agent's name (its "host").
    let agentName: String
    private(set) var agent: BackgroundProcess?
    /// The join token the lab's agent enrolled with (used up).
    private(set) var firstJoinToken = ""
    private var agentStarts = 0

    /// Builds the lab, runs `body`, and tears everything down — also when `body` throws.
    static func with(_ body: (DataPlaneLab) async throws -> Void) async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        let topology = try NetnsTopology(roles: ["web", "db", "peer", "mon"])
        defer { topology.remove() }
        let scratch = try ScratchDirectory(label: "e2e")
        defer { scratch.remove() }
        try await ServerProcess.with(binary: binary) { server in
            let lab = DataPlaneLab(binary: binary, topology: topology, scratch: scratch, server: server)
            defer { lab.agent?.stop() }
            do {
                try await lab.setUp()
                try await body(lab)
            } catch {
                Issue.record("server log:\n\(server.log)\nagent log:\n\(lab.agent?.stderr ?? "")")
                throw error
            }
        }
    }

    private init(binary: String, topology: NetnsTopology, scratch: ScratchDirectory, server: ServerProcess) {
        self.binary = binary
        self.topology = topology
        self.scratch = scratch
        self.server = server
        adminCLI = CLI(binary: binary, home: scratch.url.path + "/admin-home", server: server.url)
        ownerCLI = CLI(binary: binary, home: scratch.url.path + "/owner-home", server: server.url)
        agentName = "\(topology.prefix)-node1"
    }

    /// `tapster …` as the admin; fails the test unless it exits 0.
    @discardableResult
    func admin(_ arguments: [String], input: String? = nil) async throws -> CLIResult {
        try await expectSuccess(adminCLI, arguments, token: server.adminToken, input: input)
    }

    /// `tapster …` as owner alice (logged in); fails the test unless it exits 0.
    @discardableResult
    func owner(_ arguments: [String]) async throws -> CLIResult {
        try await expectSuccess(ownerCLI, arguments, token: nil, input: nil)
    }

    private func expectSuccess(_ cli: CLI, _ arguments: [String], token: String?, input: String?) async throws -> CLIResult {
        let result = try await cli.run(arguments, token: token, input: input)
        guard result.status == 0 else {
            throw LabFailure("tapster \(arguments.joined(separator: " ")) failed: \(result)")
        }
        return result
    }

    /// The tenant, the owner, and the agent, enrolled and reporting the lab's workloads.
    private func setUp() async throws {
        try await admin(["tenant", "create", "shop"])
        try await admin(["user", "create", "alice", "--role", "owner", "--tenant", "shop", "--password-stdin"],
                        input: "correct-horse-battery-staple\n")
        _ = try await ownerCLI.run(["login", "--user", "alice", "--password-stdin"], input: "correct-horse-battery-staple\n")
        firstJoinToken = try await joinToken()
        try await startAgent(joinToken: firstJoinToken)
        try await waitForWorkloads(count: 4)
    }

    /// A fresh join token from `tapster agent token create -o json`.
    func joinToken() async throws -> String {
        struct Created: Decodable { var token: String }
        return try decode(Created.self, try await admin(["agent", "token", "create", "-o", "json"]).stdout).token
    }

    /// The agent's configuration: it owns the lab's namespaces only, labelled by role.
    var agentConfiguration: String {
        let roles = ["web", "db", "peer", "mon"]
        return """
            labels:
              zone: lab
            namespaces: ["\(topology.prefix)-*"]
            host_interfaces: false
            process_namespaces: false
            workloads:
            \(roles.map { "  - match: { netns: \"\(topology.prefix)-\($0)\" }\n    labels: { app: \($0) }" }.joined(separator: "\n"))
            """
    }

    /// Starts `tapster agent` (root namespace = the host); `joinToken` only for the first start.
    func startAgent(joinToken: String? = nil) async throws {
        agentStarts += 1
        let configuration = scratch.url.appendingPathComponent("agent.yaml").path
        try agentConfiguration.write(toFile: configuration, atomically: true, encoding: .utf8)
        var arguments = [binary, "agent", "--server", server.agentAddress, "--name", agentName,
                         "--data-dir", scratch.url.path + "/agent-data", "--config", configuration]
        if let joinToken { arguments += ["--join-token", joinToken] }
        agent = try BackgroundProcess(name: "agent-\(agentStarts)", arguments, directory: scratch)
    }

    /// `kill -9` the agent.
    func killAgent() {
        agent?.killNow()
    }

    /// Waits until `tapster workload list` shows `count` workloads of this agent.
    func waitForWorkloads(count: Int) async throws {
        try await eventually(timeout: .seconds(20), "\(count) workloads of \(agentName)") {
            try await self.workloads().filter { $0.host == self.agentName }.count >= count ? true : nil
        }
    }

    /// The id of the `mon` workload's eth0 (its Neutron port id).
    func monitorPortID() async throws -> String {
        let workload = try await workloads(selector: "app=mon").first
        guard let id = workload?.interfaces.first(where: { $0.name == "eth0" })?.id else {
            throw LabFailure("no eth0 on the mon workload: \(String(describing: workload))")
        }
        return id
    }

    /// Grants alice `filter` → `target` for up to an hour.
    func grant(filter: String, target: String) async throws {
        try await admin(["grant", "create", "--user", "alice", "--filter", filter, "--target", target, "--max-duration", "1h"])
    }

    /// Alice creates a tap; its id.
    func createTap(filter: String, target: String, duration: String = "10m") async throws -> String {
        let created = try await owner(["tap", "create", "--filter", filter, "--target", target, "--for", duration, "-o", "json"])
        return try decode(Tap.self, created.stdout).id
    }

    /// The tap's per-agent status row for this lab's agent, as `tapster tap get -o json` shows it.
    func agentStatus(tap: String) async throws -> TapAgentStatus? {
        try await self.tap(tap).agents?.first { $0.agent == agentName }
    }

    /// The tap as `tapster tap get -o json` shows it to alice.
    func tap(_ id: String) async throws -> Tap {
        try decode(Tap.self, try await owner(["tap", "get", id, "-o", "json"]).stdout)
    }

    /// Workloads as `tapster workload list [-l selector] -o json` shows them to the admin.
    func workloads(selector: String? = nil) async throws -> [Workload] {
        let listed = try await admin(["workload", "list", "-o", "json"] + (selector.map { ["-l", $0] } ?? []))
        return try decode(ItemList<Workload>.self, listed.stdout).items
    }

    func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try TapsterJSON.decoder().decode(type, from: Data(json.utf8))
    }

    /// Waits until the agent reports the tap in `state` (`applied`, `failed`, `stopped`); the status row.
    @discardableResult
    func waitForTap(_ tap: String, state: TapAgentStatus.State, timeout: Duration = .seconds(10)) async throws -> TapAgentStatus {
        try await eventually(timeout: timeout, "tap \(tap) \(state) on \(agentName)") {
            let status = try await self.agentStatus(tap: tap)
            return status?.state == state ? status : nil
        }
    }
}

/// The lab could not do what a test asked.
struct LabFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
