import TapsterSystemTestSupport
import Foundation
import Testing
@testable import TapsterAgent

@Suite("Agent configuration file")
struct ConfigurationTests {
    static let example = """
        labels:
          zone: a
        workloads:
          - match: { netns: "web*" }
            labels: { app: web }
          - match: { interface: "eth1" }
            labels: { role: uplink, zone: b }
        namespaces: ["hostA-*", "shared"]
        host_interfaces: false
        process_namespaces: false
        """

    static func parse(_ yaml: String) throws(AgentConfigurationError) -> AgentConfiguration {
        try AgentConfiguration(yaml: yaml, file: "agent.yaml")
    }

    /// The message parsing `yaml` fails with.
    static func failure(_ yaml: String) -> String? {
        do {
            _ = try parse(yaml)
            return nil
        } catch {
            return error.description
        }
    }

    // MARK: Valid files

    @Test("the issue's example file reads into labels, rules and scope")
    func example() throws {
        let configuration = try Self.parse(Self.example)
        #expect(configuration == AgentConfiguration(
            hostLabels: ["zone": "a"],
            workloadRules: [
                WorkloadRule(match: WorkloadMatch(netns: GlobPattern("web*")), labels: ["app": "web"]),
                WorkloadRule(match: WorkloadMatch(interface: GlobPattern("eth1")), labels: ["role": "uplink", "zone": "b"]),
            ],
            ownedNamespaces: [GlobPattern("hostA-*"), GlobPattern("shared")],
            reportsHostInterfaces: false,
            reportsProcessNamespaces: false))
    }

    @Test("an empty file means no labels, every namespace, host interfaces and process namespaces")
    func emptyFile() throws {
        #expect(try Self.parse("") == AgentConfiguration())
        #expect(try Self.parse("# nothing yet\n") == AgentConfiguration())
        #expect(AgentConfiguration().owns(namespace: "anything"))
        #expect(AgentConfiguration().reportsHostInterfaces && AgentConfiguration().reportsProcessNamespaces)
    }

    @Test("a workload gets the host labels overlaid with the first matching rule's only")
    func firstMatchWins() throws {
        let configuration = try Self.parse(Self.example)
        #expect(configuration.labels(of: .namedNamespace("web-1"), interfaceNames: ["eth1"]) == ["zone": "a", "app": "web"])
        #expect(configuration.labels(of: .namedNamespace("db-1"), interfaceNames: ["eth0", "eth1"]) == ["zone": "a"])
        #expect(configuration.labels(of: .host, interfaceNames: ["eth1"]) == ["zone": "b", "role": "uplink"])
        #expect(configuration.labels(of: .host, interfaceNames: ["eth0"]) == ["zone": "a"])
    }

    @Test("a host workload never matches a netns pattern, not even *")
    func hostNeverMatchesNetns() {
        let match = WorkloadMatch(netns: GlobPattern("*"))
        #expect(!match.matches(.host, interfaceNames: ["eth0"]))
        #expect(match.matches(.namedNamespace("web-1"), interfaceNames: []))
    }

    @Test("a process's namespace matches no netns or interface-only rule, whatever it names itself")
    func processNeverMatchesNetnsOrInterfaceRules() {
        let process = WorkloadOrigin.process(ProcessIdentity(uid: 1000, executable: "/usr/bin/sleep"))
        #expect(!WorkloadMatch(netns: GlobPattern("*")).matches(process, interfaceNames: ["eth0"]))
        #expect(!WorkloadMatch(interface: GlobPattern("eth*")).matches(process, interfaceNames: ["eth0"]))
    }

    @Test("a process match needs the process's uid and, when given, its executable")
    func processMatch() {
        let match = WorkloadMatch(process: ProcessMatch(uid: 33, executable: GlobPattern("/usr/sbin/nginx")))
        #expect(match.matches(.process(ProcessIdentity(uid: 33, executable: "/usr/sbin/nginx")), interfaceNames: []))
        #expect(!match.matches(.process(ProcessIdentity(uid: 1000, executable: "/usr/sbin/nginx")), interfaceNames: []))
        #expect(!match.matches(.process(ProcessIdentity(uid: 33, executable: "/tmp/nginx")), interfaceNames: []))
        #expect(!match.matches(.process(ProcessIdentity(uid: 33, executable: nil)), interfaceNames: []))
        #expect(!match.matches(.namedNamespace("nginx"), interfaceNames: []))
        #expect(!match.matches(.host, interfaceNames: ["eth0"]))
    }

    @Test("an interface-only rule matches the host's own interfaces, not a named namespace's of that name")
    func interfaceOnlyRuleIsHostOnly() {
        let match = WorkloadMatch(interface: GlobPattern("eth1"))
        #expect(match.matches(.host, interfaceNames: ["eth1"]))
        #expect(!match.matches(.namedNamespace("tenant-b"), interfaceNames: ["eth1"]))
    }

    @Test("a rule naming the netns and an interface matches that named namespace's interface")
    func namespacedInterfaceRule() {
        let match = WorkloadMatch(netns: GlobPattern("*"), interface: GlobPattern("eth1"))
        #expect(match.matches(.namedNamespace("tenant-b"), interfaceNames: ["eth1"]))
    }

    @Test("a process namespace no rule matches has no labels, not even the host's")
    func unmatchedProcessHasNoLabels() throws {
        let configuration = try Self.parse("""
            labels: { zone: a, tenant: shop }
            workloads:
              - match: { process: { uid: 33 } }
                labels: { app: proxy }
            """)
        #expect(configuration.labels(of: .process(ProcessIdentity(uid: 1000, executable: "/usr/bin/sleep")), interfaceNames: []) == [:])
    }

    @Test("a * in an exe pattern does not cross a /")
    func exePatternStarStopsAtSlash() {
        let match = ProcessMatch(uid: 33, executable: GlobPattern("/usr/sbin/*"))
        #expect(match.matches(ProcessIdentity(uid: 33, executable: "/usr/sbin/nginx")))
        #expect(!match.matches(ProcessIdentity(uid: 33, executable: "/usr/sbin/evil/nginx")))
    }

    @Test("an executable deleted since the process started matches no exe pattern")
    func deletedExecutableNeverMatches() {
        let match = ProcessMatch(uid: 33, executable: GlobPattern("/usr/sbin/nginx*"))
        #expect(!match.matches(ProcessIdentity(uid: 33, executable: "/usr/sbin/nginx (deleted)")))
    }

    @Test("a process rule reads into a uid and an executable pattern")
    func processRuleParses() throws {
        let configuration = try Self.parse("""
            workloads:
              - match: { process: { uid: 33, exe: "/usr/sbin/nginx" }, interface: "eth0" }
                labels: { app: web }
            """)
        #expect(configuration.workloadRules == [WorkloadRule(
            match: WorkloadMatch(process: ProcessMatch(uid: 33, executable: GlobPattern("/usr/sbin/nginx")), interface: GlobPattern("eth0")),
            labels: ["app": "web"])])
    }

    @Test("a rule with netns and interface patterns needs both to match")
    func bothPatterns() {
        let match = WorkloadMatch(netns: GlobPattern("web*"), interface: GlobPattern("eth[01]"))
        #expect(match.matches(.namedNamespace("web-2"), interfaceNames: ["lo0", "eth1"]))
        #expect(!match.matches(.namedNamespace("web-2"), interfaceNames: ["eth2"]))
        #expect(!match.matches(.namedNamespace("db"), interfaceNames: ["eth0"]))
    }

    @Test("namespace scope globs select the named namespaces this agent owns")
    func scope() throws {
        let configuration = try Self.parse(Self.example)
        #expect(configuration.owns(namespace: "hostA-web"))
        #expect(configuration.owns(namespace: "shared"))
        #expect(!configuration.owns(namespace: "hostB-web"))
        #expect(!configuration.owns(namespace: "shared2"))
    }

    @Test("load(path:) reads a file from disk")
    func loadsFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tapster-agent-\(UUID().uuidString).yaml").path
        try Self.example.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try AgentConfiguration.load(path: path) == Self.parse(Self.example))
    }

    // MARK: Refused files

    @Test("a missing file is named with the system's reason")
    func missingFile() {
        #expect(throws: AgentConfigurationError(file: "/nonexistent/agent.yaml", problem: "cannot read the file: No such file or directory")) {
            try AgentConfiguration.load(path: "/nonexistent/agent.yaml")
        }
    }

    @Test("an unknown top-level key is refused with its line and the allowed keys")
    func unknownTopLevelKey() {
        #expect(Self.failure("labels: {zone: a}\nzones: [a]\n")
            == #"agent.yaml:2: unknown key "zones" (allowed: server, labels, workloads, namespaces, host_interfaces, process_namespaces, docker-socket, cri-socket)"#)
    }

    @Test("an unknown key inside a rule's match is refused with its key path")
    func unknownMatchKey() {
        let yaml = """
            workloads:
              - match: { netns: "web*" }
                labels: { app: web }
              - match:
                  nets: "db*"
                labels: { app: db }
            """
        #expect(Self.failure(yaml) == #"agent.yaml:5: workloads[1].match: unknown key "nets" (allowed: netns, process, interface)"#)
    }

    @Test("an invalid host label key is refused with TapsterCore's label rule")
    func badLabelKey() {
        #expect(Self.failure("labels:\n  zone: a\n  \"bad key\": b\n")
            == #"agent.yaml:3: labels: "bad key" is not a valid label key (letters, digits, '-', '_', '.', at most 63, optionally prefixed by a domain and '/')"#)
    }

    @Test("an invalid rule label value is refused with its key path")
    func badLabelValue() {
        let yaml = """
            workloads:
              - match: { interface: "eth*" }
                labels: { app: "-web" }
            """
        #expect(Self.failure(yaml)
            == #"agent.yaml:3: workloads[0].labels.app: "-web" is not a valid label value (letters, digits, '-', '_', '.', at most 63)"#)
    }

    @Test("a rule without match is refused")
    func ruleWithoutMatch() {
        #expect(Self.failure("workloads:\n  - labels: { app: web }\n")
            == #"agent.yaml:2: workloads[0]: a rule needs a "match" (netns, process and/or interface)"#)
    }

    @Test("a process match without a uid is refused with its key path")
    func processMatchWithoutUID() {
        #expect(Self.failure("workloads:\n  - match:\n      process: { exe: \"/usr/sbin/nginx\" }\n")
            == #"agent.yaml:3: workloads[0].match.process: a process match needs a uid (a process chooses its own name, not its user)"#)
    }

    @Test("a process uid that is not a number is refused with its key path")
    func processUIDNotNumber() {
        #expect(Self.failure("workloads:\n  - match: { process: { uid: www-data } }\n")
            == #"agent.yaml:2: workloads[0].match.process.uid: expected a user id (a number), found "www-data""#)
    }

    @Test("an unknown key inside a process match is refused with the allowed keys")
    func processUnknownKey() {
        #expect(Self.failure("workloads:\n  - match: { process: { uid: 33, comm: nginx } }\n")
            == #"agent.yaml:2: workloads[0].match.process: unknown key "comm" (allowed: uid, exe)"#)
    }

    @Test("a rule giving both netns and process is refused")
    func netnsAndProcess() {
        #expect(Self.failure("workloads:\n  - match: { netns: \"web*\", process: { uid: 33 } }\n")
            == #"agent.yaml:2: workloads[0].match: netns and process exclude each other (netns matches named namespaces only, process a process's)"#)
    }

    @Test("a switch that is not a boolean is refused")
    func notBoolean() {
        #expect(Self.failure("host_interfaces: maybe\n") == #"agent.yaml:1: host_interfaces: expected true or false, found "maybe""#)
    }

    @Test("namespaces must be a list of patterns")
    func namespacesNotAList() {
        #expect(Self.failure("namespaces: hostA-*\n") == #"agent.yaml:1: namespaces: expected a list, found "hostA-*""#)
    }

    @Test("YAML that does not parse is refused with the parser's line and problem")
    func badYAML() {
        #expect(Self.failure("labels:\n  zone: [a\n") == "agent.yaml:3: invalid YAML: did not find expected ',' or ']'")
    }

    @Test("docker-socket names the Docker Engine API's socket")
    func dockerSocket() throws {
        #expect(try Self.parse("docker-socket: /run/podman/podman.sock\n").dockerSocket == "/run/podman/podman.sock")
        #expect(try Self.parse("").dockerSocket == nil)
    }

    @Test("a docker-socket that is not an absolute path is refused")
    func relativeDockerSocket() {
        #expect(Self.failure("docker-socket: podman.sock\n") == #"agent.yaml:1: docker-socket: expected an absolute socket path, found "podman.sock""#)
    }

    @Test("cri-socket names the CRI runtime's socket")
    func criSocket() throws {
        #expect(try Self.parse("cri-socket: /run/containerd/containerd.sock\n").criSocket == "/run/containerd/containerd.sock")
        #expect(try Self.parse("").criSocket == nil)
    }

    @Test("a duplicated key is refused")
    func duplicateKey() {
        #expect(Self.failure("host_interfaces: true\nhost_interfaces: false\n")?.hasPrefix("agent.yaml:") == true)
        #expect(Self.failure("host_interfaces: true\nhost_interfaces: false\n")?.contains(#"duplicate key "host_interfaces""#) == true)
    }
}
