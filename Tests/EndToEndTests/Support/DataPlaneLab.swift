import Foundation
import TapsterAPI
import TapsterCore
import TapsterSystemTestSupport
import TapsterTestSupport
import Testing

/// One simulated site for end-to-end tests: workloads (by default `web`, `db`, `peer` and `mon`, a monitoring
/// port) in network namespaces on one bridge, a `tool` namespace reachable from the host, a real
/// `tapster serve`, and real `tapster agent`s enrolled with join tokens. Each agent plays one simulated host
/// and owns the namespaces of its roles, labelling each `app=<role without trailing digits>` (`web2` is
/// `app=web`). Owner `alice` (tenant `shop`) is logged in. Everything is removed afterwards.
/// ``withReplicas(count:roles:hosts:apiReplica:agentServers:_:)`` runs the same lab on several server replicas.
final class DataPlaneLab: @unchecked Sendable {
    let binary: String
    let topology: NetnsTopology
    let scratch: ScratchDirectory
    /// The server the CLIs talk to (with replicas: one of them).
    let server: ServerProcess
    /// The admin's API token (with replicas: the first replica's, which created the admin).
    let adminToken: String
    /// What agents are given as `--server` (the server's agent endpoint, or a list of replicas').
    let agentServers: String
    let adminCLI: CLI
    let ownerCLI: CLI
    /// Each simulated host's roles; the first host's agent is ``agentName``.
    let hosts: [[String]]
    /// Each host's agent name, in ``hosts``' order.
    let agentNames: [String]
    /// The first host's agent name.
    var agentName: String { agentNames[0] }
    /// The running agent processes, by name.
    private(set) var agents: [String: BackgroundProcess] = [:]
    /// The first host's agent process.
    var agent: BackgroundProcess? { agents[agentName] }
    /// The join token the first agent enrolled with (used up).
    private(set) var firstJoinToken = ""
    private var agentStarts = 0
    /// More of each agent's configuration file (e.g. `docker-socket: …`), after the lab's own keys.
    private let agentYAML: String
    /// More of each `tapster agent`'s arguments (e.g. `--datapath kernel`).
    private let agentArguments: [String]

    /// Builds the lab, runs `body`, and tears everything down — also when `body` throws. `hosts` lists the
    /// roles each simulated host (each with its own agent) owns; by default one host owns them all.
    /// `serverArguments` are added to `tapster serve`'s, `agentYAML` to each agent's configuration file and
    /// `agentArguments` to each `tapster agent`'s.
    static func with(roles: [String] = ["web", "db", "peer", "mon"], hosts: [[String]]? = nil, serverArguments: [String] = [],
                     agentYAML: String = "", agentArguments: [String] = [], _ body: (DataPlaneLab) async throws -> Void) async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        let topology = try NetnsTopology(roles: roles)
        defer { topology.remove() }
        let scratch = try ScratchDirectory(label: "e2e")
        defer { scratch.remove() }
        try await ServerProcess.with(binary: binary, arguments: serverArguments) { server in
            let lab = DataPlaneLab(binary: binary, topology: topology, scratch: scratch, server: server, adminToken: server.adminToken,
                                   agentServers: server.agentAddress, hosts: hosts ?? [roles], agentYAML: agentYAML,
                                   agentArguments: agentArguments)
            try await lab.run(body, servers: [server])
        }
    }

    /// The lab on `count` replicas of `tapster serve` sharing a fresh PostgreSQL database (``ReplicaCluster``;
    /// needs `TAPSTER_TEST_POSTGRES_URL`): the CLIs talk to replica `apiReplica`, and agents are given
    /// `agentServers(cluster)` as `--server`.
    static func withReplicas(count: Int, roles: [String] = ["web", "db", "peer", "mon"], hosts: [[String]]? = nil,
                             apiReplica: Int = 0, agentServers: (ReplicaCluster) -> String,
                             _ body: (DataPlaneLab, ReplicaCluster) async throws -> Void) async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        let topology = try NetnsTopology(roles: roles)
        defer { topology.remove() }
        let scratch = try ScratchDirectory(label: "e2e")
        defer { scratch.remove() }
        try await TestDatabase.with(.postgres) { database in
            // Debug logs: a failing replica test shows each desired set the replicas sent, and why.
            try await ReplicaCluster.with(binary: binary, databaseURL: database.databaseURL, count: count,
                                          arguments: ["--log-level", "debug"]) { cluster in
                let lab = DataPlaneLab(binary: binary, topology: topology, scratch: scratch, server: cluster.replicas[apiReplica],
                                       adminToken: cluster.adminToken, agentServers: agentServers(cluster), hosts: hosts ?? [roles])
                try await lab.run({ try await body($0, cluster) }, servers: cluster.replicas)
            }
        }
    }

    /// Sets the lab up, runs `body`, stops the agents; on failure records the servers' and agents' logs.
    private func run(_ body: (DataPlaneLab) async throws -> Void, servers: [ServerProcess]) async throws {
        defer { stopAgents() }
        do {
            try await setUp()
            try await body(self)
        } catch {
            let agentLogs = agents.sorted { $0.key < $1.key }.map { "agent \($0.key) log:\n\($0.value.stderr)" }
            let serverLogs = servers.enumerated().map { "server \($0.offset + 1) log:\n\($0.element.log)" }
            Issue.record("\(serverLogs.joined(separator: "\n"))\n\(agentLogs.joined(separator: "\n"))")
            throw error
        }
    }

    private init(binary: String, topology: NetnsTopology, scratch: ScratchDirectory, server: ServerProcess, adminToken: String,
                 agentServers: String, hosts: [[String]], agentYAML: String = "", agentArguments: [String] = []) {
        self.binary = binary
        self.topology = topology
        self.scratch = scratch
        self.server = server
        self.adminToken = adminToken
        self.agentServers = agentServers
        self.hosts = hosts
        self.agentYAML = agentYAML
        self.agentArguments = agentArguments
        adminCLI = CLI(binary: binary, home: scratch.url.path + "/admin-home", server: server.url)
        ownerCLI = CLI(binary: binary, home: scratch.url.path + "/owner-home", server: server.url)
        agentNames = hosts.indices.map { "\(topology.prefix)-node\($0 + 1)" }
    }

    /// Stops every agent (SIGTERM, then SIGKILL after a grace).
    func stopAgents() {
        for agent in agents.values { agent.stop() }
    }

    /// `tapster …` as the admin; fails the test unless it exits 0.
    @discardableResult
    func admin(_ arguments: [String], input: String? = nil) async throws -> CLIResult {
        try await expectSuccess(adminCLI, arguments, token: adminToken, input: input)
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
        firstJoinToken = try await joinToken(for: agentNames[0])
        try await startAgent(joinToken: firstJoinToken)
        for host in hosts.indices.dropFirst() { try await startAgent(host: host, joinToken: try await joinToken(for: agentNames[host])) }
        for (host, roles) in hosts.enumerated() { try await waitForWorkloads(count: roles.count, of: agentNames[host]) }
    }

    /// A fresh join token for agent `name` from `tapster agent token create NAME -o json`.
    func joinToken(for name: String) async throws -> String {
        struct Created: Decodable { var token: String }
        return try decode(Created.self, try await admin(["agent", "token", "create", name, "-o", "json"]).stdout).token
    }

    /// A host's agent configuration: it owns its roles' namespaces only, labelled `app=<role without
    /// trailing digits>`.
    func agentConfiguration(host: Int) -> String {
        let namespaces = hosts[host].map { "\"\(topology[$0].namespace)\"" }.joined(separator: ", ")
        let workloads = hosts[host].map { role in
            let app = String(role.reversed().drop { $0.isNumber }.reversed())
            return "  - match: { netns: \"\(topology[role].namespace)\" }\n    labels: { app: \(app) }"
        }
        return """
            labels:
              zone: lab
              tenant: shop
            namespaces: [\(namespaces)]
            host_interfaces: false
            process_namespaces: false
            workloads:
            \(workloads.joined(separator: "\n"))
            \(agentYAML)
            """
    }

    /// Starts a host's `tapster agent` (root namespace = the host); `joinToken` only for its first start.
    func startAgent(host: Int = 0, joinToken: String? = nil) async throws {
        agentStarts += 1
        let name = agentNames[host]
        let configuration = scratch.url.appendingPathComponent("agent-\(name).yaml").path
        try agentConfiguration(host: host).write(toFile: configuration, atomically: true, encoding: .utf8)
        var arguments = [binary, "agent", "--server", agentServers, "--name", name,
                         "--data-dir", scratch.url.path + "/agent-data-\(name)", "--config", configuration]
        if let joinToken { arguments += ["--join-token", joinToken] }
        arguments += agentArguments
        agents[name] = try BackgroundProcess(name: "agent-\(agentStarts)", arguments, directory: scratch)
    }

    /// `kill -9` the first host's agent.
    func killAgent() {
        agent?.killNow()
    }

    /// Waits until `tapster workload list` shows `count` workloads of `agent` (by default the first host's).
    func waitForWorkloads(count: Int, of agent: String? = nil) async throws {
        let name = agent ?? agentName
        try await eventually(timeout: .seconds(60), every: .milliseconds(500), "\(count) workloads of \(name)") {
            try await self.workloads().filter { $0.host == name }.count >= count ? true : nil
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

    /// The tap's per-agent status row for `agent` (by default the first host's), as `tapster tap get -o json`
    /// shows it.
    func agentStatus(tap: String, agent: String? = nil) async throws -> TapAgentStatus? {
        let name = agent ?? agentName
        return try await self.tap(tap).agents?.first { $0.agent == name }
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

    /// Waits until `agent` (by default the first host's) reports the tap in `state` (`applied`, `failed`,
    /// `stopped`); the status row.
    @discardableResult
    func waitForTap(_ tap: String, state: TapAgentStatus.State, agent: String? = nil,
                    timeout: Duration = .seconds(60)) async throws -> TapAgentStatus {
        let name = agent ?? agentName
        // Each poll runs the CLI (a process): polled every 50 ms, a few waiting tests kept two cores busy with
        // `tapster` start-ups, and the agents they waited for applied taps slower still.
        return try await eventually(timeout: timeout, every: .milliseconds(500), "tap \(tap) \(state) on \(name)") {
            let status = try await self.agentStatus(tap: tap, agent: name)
            return status?.state == state ? status : nil
        }
    }
}

/// The lab could not do what a test asked.
struct LabFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
