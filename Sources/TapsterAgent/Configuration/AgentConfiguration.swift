#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// The agent's configuration file: labels for the host and its workloads, and which namespaces this agent
/// owns (so that several agents on one machine — how tests simulate several hosts — report disjoint sets).
///
/// ```yaml
/// server: [a.example:7381, b.example:7381]  # the replicas (or one name with several records); --server wins
/// labels:                 # host-level labels: host interfaces, named namespaces, matched processes
///   zone: a
/// workloads:              # first match wins; glob patterns (fnmatch)
///   - match: { netns: "web*" }
///     labels: { app: web }
///   - match: { interface: "eth1" }  # the host's own interfaces only
///     labels: { role: uplink }
///   - match: { process: { uid: 33, exe: "/usr/sbin/nginx" } }  # process namespaces: only this way
///     labels: { app: proxy }
/// namespaces: ["hostA-*"] # named namespaces this agent owns (default: all)
/// host_interfaces: true   # report the host's own interfaces (default: true)
/// process_namespaces: true # report namespaces of running processes (default: true)
/// docker-socket: /run/podman/podman.sock  # the Docker Engine API (Docker or Podman); --docker-socket wins
/// cri-socket: /run/containerd/containerd.sock  # the CRI runtime asked for pods; --cri-socket wins
/// ```
public struct AgentConfiguration: Sendable, Hashable {
    /// The server replicas to connect to, when the file names them (`tapster agent --server` overrides).
    public var servers: ServerList?
    /// Labels every workload of this host gets.
    public var hostLabels: [String: String]
    /// Rules giving workloads labels; the first matching rule applies.
    public var workloadRules: [WorkloadRule]
    /// Named namespaces (under /var/run/netns) this agent reports: those matching any pattern (`["*"]`
    /// unless configured; an empty list reports none). Processes inside a named namespace are never
    /// reported as process namespaces, whichever agent owns it.
    public var ownedNamespaces: [GlobPattern]
    /// Whether the host's own interfaces are reported (one `host` workload per interface).
    public var reportsHostInterfaces: Bool
    /// Whether namespaces of running processes (not named under /var/run/netns) are reported.
    public var reportsProcessNamespaces: Bool
    /// The CRI socket of the container runtime whose pods are reported (`cri-socket:`); nil: the usual
    /// sockets that exist (``CRISocket``; `tapster agent --cri-socket` overrides).
    public var criSocket: String?
    /// The Docker Engine API's unix socket (Docker's, or Podman's compatible one) whose running containers are
    /// reported; nil: the default sockets that exist (`tapster agent --docker-socket` overrides).
    public var dockerSocket: String?

    /// A configuration; the defaults are those of an empty file: no labels, every namespace, host
    /// interfaces and process namespaces reported.
    public init(hostLabels: [String: String] = [:], workloadRules: [WorkloadRule] = [],
                ownedNamespaces: [GlobPattern] = [GlobPattern("*")],
                reportsHostInterfaces: Bool = true, reportsProcessNamespaces: Bool = true) {
        self.hostLabels = hostLabels
        self.workloadRules = workloadRules
        self.ownedNamespaces = ownedNamespaces
        self.reportsHostInterfaces = reportsHostInterfaces
        self.reportsProcessNamespaces = reportsProcessNamespaces
    }

    /// Parses the YAML text of a configuration file; `file` names it in errors.
    public init(yaml: String, file: String) throws(AgentConfigurationError) {
        self = try AgentConfigurationParser(file: file).parse(yaml)
    }

    /// Reads and parses the configuration file at `path`.
    public static func load(path: String) throws(AgentConfigurationError) -> AgentConfiguration {
        let text: String
        do {
            text = try TextFile.read(path)
        } catch {
            let problem = switch error {
            case .open(let number): "cannot read the file: \(String(cString: strerror(number)))"
            case .read: "cannot read the file"
            case .notUTF8: "the file is not UTF-8 text"
            }
            throw AgentConfigurationError(file: path, problem: problem)
        }
        return try AgentConfiguration(yaml: text, file: path)
    }

    /// Whether this agent reports the named namespace `name` (a name under /var/run/netns).
    public func owns(namespace name: String) -> Bool {
        ownedNamespaces.contains { $0.matches(name) }
    }

    /// The labels of a workload of origin `origin`: the host's labels, overlaid with those of the first
    /// rule that matches. A process namespace no rule matches has no labels: any local user can make one
    /// (`unshare -rn`), so the host's labels (a `tenant`) would let anyone join the host's tenant.
    public func labels(of origin: WorkloadOrigin, interfaceNames: [String]) -> [String: String] {
        guard let rule = workloadRules.first(where: { $0.match.matches(origin, interfaceNames: interfaceNames) }) else {
            if case .process = origin { return [:] }
            return hostLabels
        }
        return hostLabels.merging(rule.labels) { _, ruleValue in ruleValue }
    }
}
