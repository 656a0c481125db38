import Foundation
import TapsterSystemTestSupport
import Testing

/// `deploy/kubernetes/`, read as Kubernetes would read it. There is no Kubernetes API server on the build
/// machines, so the manifests are parsed and their promises checked here: what runs where, with which
/// secrets, sockets and capabilities, and that every flag they pass is one `tapster` has.
@Suite("Kubernetes manifests")
struct KubernetesManifestTests {
    /// The capabilities the agent needs, each justified in agent-daemonset.yaml and docs: setns(2),
    /// /proc/<pid>/ns/net of other users' processes, packet/raw sockets, forced socket buffer sizes.
    static let agentCapabilities: Set<String> = ["SYS_ADMIN", "SYS_PTRACE", "NET_RAW", "NET_ADMIN"]

    @Test func everyManifestIsANamedKubernetesObjectInTheTapsterNamespace() throws {
        let manifests = try KubernetesManifests.load()
        #expect(manifests.objects.map(\.kind).sorted() == [
            "DaemonSet", "Deployment", "Deployment", "Namespace", "NetworkPolicy",
            "PersistentVolumeClaim", "PersistentVolumeClaim", "Secret", "Secret", "Service", "Service",
        ])
        for object in manifests.objects {
            #expect(object.tree["apiVersion"].string?.isEmpty == false, "\(object)")
            #expect(!object.name.isEmpty, "\(object)")
            #expect(object.namespace == (object.kind == "Namespace" ? nil : "tapster"), "\(object)")
        }
        #expect(try manifests.object("Namespace", "tapster").tree[path: "metadata.labels"].stringMap["pod-security.kubernetes.io/enforce"] == "privileged")
    }

    @Test func workloadsSelectTheirOwnPodsAndRunTheImageOfThisVersion() throws {
        let manifests = try KubernetesManifests.load()
        let image = "tapster:\(try BuiltTapster.version())"
        for workload in manifests.all("Deployment") + manifests.all("DaemonSet") {
            #expect(workload.tree[path: "spec.selector.matchLabels"].stringMap.selects(workload.podLabels), "\(workload)")
            #expect(workload.podSpec["containers"].items.count == 1, "\(workload)")
            #expect(workload.container["image"].string == image, "\(workload)")
            #expect(workload.podSpec["automountServiceAccountToken"].bool == false, "\(workload)")
        }
    }

    @Test func everyFlagTheManifestsPassIsOneTheBinaryHas() throws {
        let manifests = try KubernetesManifests.load()
        for workload in manifests.all("Deployment") + manifests.all("DaemonSet") {
            var arguments = workload.container["args"].strings
            // `tapster-agent` (the agent's DaemonSet) takes `tapster agent run`'s flags (AgentExecutableTests), as
            // `tapster agent` does; any other workload runs the image's `tapster SUBCOMMAND`.
            let subcommand: String
            if workload.container["command"].strings == ["/usr/local/bin/tapster-agent"] {
                subcommand = "agent"
            } else {
                subcommand = try #require(arguments.first, "\(workload) has no arguments")
                arguments.removeFirst()
            }
            let help = try BuiltTapster.help(subcommand == "agent" ? ["agent", "run"] : [subcommand])
            for argument in arguments {
                #expect(argument.hasPrefix("--") && argument.contains("="), "\(workload): \(argument) is not --flag=value")
                let flag = String(argument.prefix { $0 != "=" })
                #expect(help.contains("\(flag) <"), "\(workload): `tapster \(subcommand)` has no \(flag)")
            }
        }

    }

    @Test func theAgentsDaemonSetRunsTheAgentOnlyExecutableTheImageHolds() throws {
        let agents = try KubernetesManifests.load().all("DaemonSet")
        #expect(agents.count == 1)
        #expect(agents.first?.container["command"].strings == ["/usr/local/bin/tapster-agent"])
    }

    @Test func everySecretReferenceNamesASecretAndKeyTheManifestsDefine() throws {
        let manifests = try KubernetesManifests.load()
        let secrets = Dictionary(uniqueKeysWithValues: manifests.all("Secret").map { ($0.name, $0.tree["stringData"].keys) })
        var references = 0
        for workload in manifests.all("Deployment") + manifests.all("DaemonSet") {
            for variable in workload.container["env"].items {
                let reference = variable[path: "valueFrom.secretKeyRef"]
                guard reference.isPresent else { continue }
                let name = try #require(reference["name"].string), key = try #require(reference["key"].string)
                #expect(secrets[name]?.contains(key) == true, "\(workload): \(name)/\(key) is not defined")
                references += 1
            }
            for volume in workload.podSpec["volumes"].items where volume["secret"].isPresent {
                #expect(secrets[volume[path: "secret.secretName"].string ?? ""] != nil, "\(workload): volume \(volume)")
                references += 1
            }
        }
        // The admin token twice, the database URL once, the agents' join tokens once.
        #expect(references == 4)
    }

    @Test func theAgentSharesTheNodesProcessesAndNetworkWithExactlyTheDocumentedCapabilities() throws {
        let agent = try KubernetesManifests.load().agent
        #expect(agent.podSpec["hostPID"].bool == true)
        #expect(agent.podSpec["hostNetwork"].bool == true)
        // Without it a host-network pod cannot resolve the server's Service name.
        #expect(agent.podSpec["dnsPolicy"].string == "ClusterFirstWithHostNet")
        let security = agent.container["securityContext"]
        #expect(security["privileged"].bool != true)
        #expect(security["runAsUser"].int == 0)
        #expect(security[path: "capabilities.drop"].strings == ["ALL"])
        #expect(Set(security[path: "capabilities.add"].strings) == Self.agentCapabilities)
        #expect(security[path: "capabilities.add"].strings.count == Self.agentCapabilities.count)
    }

    @Test func theAgentToleratesEveryTaint() throws {
        let tolerations = try KubernetesManifests.load().agent.podSpec["tolerations"].items
        #expect(tolerations.contains { $0.keys == ["operator"] && $0["operator"].string == "Exists" })
    }

    @Test func theAgentReachesTheCRISocketThroughItsHostDirectory() throws {
        let agent = try KubernetesManifests.load().agent
        let socket = try #require(agent.argument("--cri-socket"))
        #expect(socket == "/run/containerd/containerd.sock")
        let (mount, volume) = try #require(agent.mount(holding: socket), "no mount holds \(socket)")
        // The host's own directory at the same path: what the runtime's socket and kubelet use.
        #expect(volume[path: "hostPath.path"].string == mount["mountPath"].string)
        #expect(mount["mountPath"].string == "/run/containerd")
        #expect(mount["readOnly"].bool == true)
    }

    @Test func theAgentEnrolsWithItsNodesKeyOfTheJoinTokenSecretAndKeepsItsCertificateOnTheNode() throws {
        let agent = try KubernetesManifests.load().agent
        #expect(agent.argument("--name") == "$(NODE_NAME)")
        #expect(agent.environment("NODE_NAME")?[path: "valueFrom.fieldRef.fieldPath"].string == "spec.nodeName")
        let tokenFile = try #require(agent.argument("--join-token-file"))
        #expect(tokenFile.hasSuffix("/$(NODE_NAME)"))
        let tokens = try #require(agent.mount(holding: tokenFile), "no mount holds \(tokenFile)")
        #expect(tokens.volume[path: "secret.secretName"].string == "tapster-join-tokens")
        let dataDirectory = try #require(agent.argument("--data-dir"))
        let state = try #require(agent.mount(holding: dataDirectory + "/key.pem"), "no mount holds \(dataDirectory)")
        #expect(state.volume[path: "hostPath.path"].string?.isEmpty == false)
    }

    @Test func theAgentConnectsToEveryServerReplicaThroughTheHeadlessAgentChannelService() throws {
        let manifests = try KubernetesManifests.load()
        let service = try manifests.object("Service", "tapster-agent-channel")
        #expect(service.tree[path: "spec.clusterIP"].string == "None")
        let port = try #require(service.tree[path: "spec.ports"].items.first?["port"].int)
        #expect(try manifests.agent.argument("--server") == "tapster-agent-channel.tapster.svc.cluster.local:\(port)")
        for server in try manifests.servers {
            #expect(server.argument("--agent-listen") == "0.0.0.0:\(port)", "\(server)")
            #expect(service.tree[path: "spec.selector"].stringMap.selects(server.podLabels), "\(server)")
        }
    }

    @Test func theAPIServiceReachesTheServersAPIPort() throws {
        let manifests = try KubernetesManifests.load()
        let service = try manifests.object("Service", "tapster")
        let port = try #require(service.tree[path: "spec.ports"].items.first)
        for server in try manifests.servers {
            #expect(service.tree[path: "spec.selector"].stringMap.selects(server.podLabels), "\(server)")
            let containerPort = server.container["ports"].items.first { $0["name"].string == port["targetPort"].string }
            #expect(containerPort?["containerPort"].int == 7380, "\(server)")
            #expect(server.argument("--listen") == "0.0.0.0:7380", "\(server)")
        }
    }

    @Test func thePostgreSQLServerTakesItsDatabaseURLAndAdminTokenFromTheServerSecret() throws {
        let server = try KubernetesManifests.load().postgresqlServer
        for (variable, key) in [("TAPSTER_DATABASE_URL", "database-url"), ("TAPSTER_ADMIN_TOKEN", "admin-token")] {
            let reference = try #require(server.environment(variable), "\(variable)")[path: "valueFrom.secretKeyRef"]
            #expect(reference.stringMap == ["name": "tapster-server", "key": key], "\(variable)")
        }
    }

    @Test func theSQLiteServerRunsExactlyOneReplicaWithItsDataOnAVolumeClaim() throws {
        let manifests = try KubernetesManifests.load()
        let server = try manifests.sqliteServer
        #expect(server.tree[path: "spec.replicas"].int == 1)
        // An update stops the old pod first: two servers never share one SQLite file.
        #expect(server.tree[path: "spec.strategy.type"].string == "Recreate")
        #expect(server.environment("TAPSTER_DATABASE_URL") == nil)
        let dataDirectory = try #require(server.argument("--data-dir"))
        let data = try #require(server.mount(holding: dataDirectory + "/tapster.sqlite"), "no mount holds \(dataDirectory)")
        let claim = try #require(data.volume[path: "persistentVolumeClaim.claimName"].string)
        #expect(try manifests.object("PersistentVolumeClaim", claim, in: "server-sqlite.yaml").tree[path: "spec.accessModes"].strings == ["ReadWriteOnce"])
    }

    @Test func theServersRunAsAnUnprivilegedUserOnAReadOnlyRoot() throws {
        for server in try KubernetesManifests.load().servers {
            #expect(server.podSpec[path: "securityContext.runAsNonRoot"].bool == true, "\(server)")
            let security = server.container["securityContext"]
            #expect(security["allowPrivilegeEscalation"].bool == false, "\(server)")
            #expect(security["readOnlyRootFilesystem"].bool == true, "\(server)")
            #expect(security[path: "capabilities.drop"].strings == ["ALL"], "\(server)")
            #expect(!security[path: "capabilities.add"].isPresent, "\(server)")
        }
    }

    @Test func theNetworkPolicyLetsOnlyAgentPodsReachTheAgentPort() throws {
        let manifests = try KubernetesManifests.load()
        let policy = try manifests.object("NetworkPolicy", "tapster-server")
        let agentLabels = try manifests.agent.podLabels
        for server in try manifests.servers {
            #expect(policy.tree[path: "spec.podSelector.matchLabels"].stringMap.selects(server.podLabels), "\(server)")
        }
        #expect(policy.tree[path: "spec.policyTypes"].strings == ["Ingress"])
        let rules = policy.tree[path: "spec.ingress"].items
        let agentPortRules = rules.filter { rule in rule["ports"].items.contains { $0["port"].int == 7381 } }
        #expect(agentPortRules.count == 1)
        let peers = try #require(agentPortRules.first)["from"].items
        #expect(peers.count == 1)
        let selector = try #require(peers.first)[path: "podSelector.matchLabels"].stringMap
        #expect(selector.selects(agentLabels))
        for server in try manifests.servers {
            #expect(!selector.selects(server.podLabels), "the agent port's selector also selects \(server)")
        }
        // The API stays open to users: a rule for 7380 with no `from`.
        #expect(rules.contains { rule in !rule["from"].isPresent && rule["ports"].items.map { $0["port"].int } == [7380] })
    }
}
