import ArgumentParser
import TapsterClient
import TapsterAPI
import TapsterCore
import TapsterAgentCommand

/// `tapster workload …`: what can be tapped, where.
struct WorkloadCommand: AsyncParsableCommand, ResourceGroup {
    static let configuration = CommandConfiguration(
        commandName: "workload", abstract: "List and register workloads.",
        subcommands: [List.self, GetCommand<Self>.self, Register.self, DeleteCommand<Self>.self],
        aliases: ["workloads"])
    static let collection = Resources.workloads

    /// `tapster workload list [-l SELECTOR] [--host H] [-n NAMESPACE]`.
    struct List: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "List workloads.", aliases: ["ls"])
        @Option(name: [.customShort("l"), .long], help: "Only workloads matching this label selector.", transform: Parse.selector)
        var selector: LabelSelector?
        @Option(help: "Only workloads on this host.") var host: String?
        @Option(name: [.customShort("n"), .long], help: "Only the pods of this Kubernetes namespace (as -l k8s.namespace=NAMESPACE).")
        var namespace: String?
        @OptionGroup var paging: PagingOptions
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.list(Resources.workloads, query: APIPath.query(["selector": selector?.description, "host": host, "namespace": namespace]),
                                   paging: paging.paging)
        }
    }

    /// `tapster workload register --name N --kind netns --host H …`.
    struct Register: ClientCommand {
        static let configuration = CommandConfiguration(abstract: "Register a workload by hand (agents report theirs).")
        @Option(help: "The workload's name.") var name: String
        @Option(help: "What it is.") var kind: WorkloadKind
        @Option(help: "The host (agent) it runs on.") var host: String
        @Option(help: "The tenant that owns it (not for a pod: the namespace mappings decide).") var tenant: String?
        @Option(help: "The network namespace's name or path.") var netns: String?
        @Option(help: "A pod's Kubernetes namespace.") var namespace: String?
        @Option(name: .customLong("label"), help: "A label key=value (repeat for several).", transform: Parse.label) var labels: [Label] = []
        @Option(name: .customLong("interface"), help: "NAME,mac=MAC,ip=IP[,ip=IP…][,id=UUID] (repeat for several).", transform: Parse.interface)
        var interfaces: [WorkloadInterface] = []
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            let labels = Dictionary(self.labels.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
            try await session.create(Resources.workloads, WorkloadSpec(
                name: name, kind: kind, host: host, tenant: tenant, labels: labels, netns: netns, interfaces: interfaces,
                platform: namespace.map { WorkloadPlatform(runtime: WorkloadPlatform.cri, namespace: $0) }))
        }
    }
}

/// `tapster agent …`: the per-host agents.
struct AgentCommand: AsyncParsableCommand, ResourceGroup {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Run the agent on this host, or manage the per-host agents.",
        subcommands: [AgentRunCommand.self, ListCommand<Self>.self, GetCommand<Self>.self, Revoke.self, Delete.self,
                      AgentTokenCommand.self],
        defaultSubcommand: AgentRunCommand.self,
        aliases: ["agents"])
    static let collection = Resources.agents

    /// `tapster agent revoke NAME`.
    struct Revoke: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an agent: its certificate is refused from now on and its connection closed.",
            discussion: "To enrol the host again, delete the agent (tapster agent delete NAME) and give it a new join token.")
        @Argument(help: "The agent's name or id.") var reference: String
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.revokeAgent(reference)
        }
    }

    /// `tapster agent delete NAME`.
    struct Delete: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete an agent that is not connected, with the workloads it reported.",
            discussion: "Its certificate is revoked. A revoked host can enrol again (with a new join token) only after this.",
            aliases: ["rm"])
        @Argument(help: "The agent's name or id.") var reference: String
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.delete(Resources.agents, reference)
        }
    }
}

/// `tapster agent token …`: join tokens, with which hosts enrol.
struct AgentTokenCommand: AsyncParsableCommand, ResourceGroup {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Create and list agent join tokens.",
        subcommands: [Create.self, ListCommand<Self>.self], aliases: ["tokens"])
    static let collection = Resources.agentTokens

    /// `tapster agent token create NAME [--reenrol] [--ttl 1h]`.
    struct Create: ClientCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a single-use join token for one agent name and print it with the command that enrols it (shown only once).",
            discussion: """
                The token enrols only an agent of that name, and only a new one; to give an enrolled agent a new key and \
                certificate (its current one is revoked), create a token with --reenrol.
                """)
        @Argument(help: "The name of the agent it enrols (tapster agent --name; by default the host name).") var agent: String
        @Flag(help: "Enrol the existing agent of this name again instead of a new one.") var reenrol = false
        @Option(help: "How long it may be used (default 1h, at most 7d).", transform: Parse.duration) var ttl: TapDuration?
        @OptionGroup var options: ClientOptions

        func run(_ session: CommandSession) async throws {
            try await session.createAgentToken(AgentTokenRequest(agent: agent, purpose: reenrol ? .reenrol : .enrol, ttl: ttl))
        }
    }
}
