import TapsterCRI
import Testing
@testable import TapsterAgent

/// Where a pod's network is, from the CRI's verbose sandbox status as containerd writes it.
@Suite("Sandbox network")
struct SandboxNetworkTests {
    /// A status whose sandbox has network namespace mode `mode`.
    static func status(network mode: Runtime_V1_NamespaceMode) -> Runtime_V1_PodSandboxStatus {
        var status = Runtime_V1_PodSandboxStatus()
        status.linux.namespaces.options.network = mode
        return status
    }

    /// containerd's `info` JSON (the parts read), with the sandbox's pid and runtime-spec network namespace path.
    static func info(pid: Int, path: String?) -> [String: String] {
        let namespace = path.map { #"{"type": "network", "path": "\#($0)"}"# } ?? #"{"type": "network"}"#
        return ["info": #"{"pid": \#(pid), "processStatus": "running", "runtimeSpec": {"linux": {"namespaces": [{"type": "pid"}, \#(namespace)]}}}"#]
    }

    @Test("a pod with network mode NODE is on the host's network, whatever the info says")
    func hostNetwork() {
        let network = SandboxNetwork(status: Self.status(network: .node), info: Self.info(pid: 42, path: "/var/run/netns/cni-1"))

        #expect(network == SandboxNetwork(namespacePath: nil, hostNetwork: true))
    }

    @Test("a pod's namespace is the runtime spec's namespace file when the agent sees it as a namespace")
    func namespaceFile() {
        let network = SandboxNetwork(status: Self.status(network: .pod), info: Self.info(pid: 42, path: "/var/run/netns/cni-1"),
                                     isNamespaceFile: { $0 == "/var/run/netns/cni-1" })

        #expect(network == SandboxNetwork(namespacePath: "/var/run/netns/cni-1", hostNetwork: false))
    }

    @Test("a pod's namespace is its sandbox's /proc/<pid>/ns/net when the agent does not see the namespace file as a namespace")
    func sandboxPid() {
        let network = SandboxNetwork(status: Self.status(network: .pod), info: Self.info(pid: 42, path: "/var/run/netns/cni-1"),
                                     isNamespaceFile: { _ in false })

        #expect(network == SandboxNetwork(namespacePath: "/proc/42/ns/net", hostNetwork: false))
    }

    @Test("a pod whose runtime names neither a namespace file nor a pid cannot be entered, and is left out")
    func unknownNamespace() {
        #expect(SandboxNetwork(status: Self.status(network: .pod), info: [:]) == nil)
        #expect(SandboxNetwork(status: Self.status(network: .pod), info: Self.info(pid: 0, path: nil), isNamespaceFile: { _ in false }) == nil)
    }

    @Test("a pod's labels are the sandbox's without the three kubelet adds")
    func podLabels() {
        let labels = CRIInventory.podLabels([
            "app": "web", "io.kubernetes.pod.name": "web", "io.kubernetes.pod.namespace": "shop", "io.kubernetes.pod.uid": "u1",
            "app.kubernetes.io/part-of": "store",
        ])

        #expect(labels == ["app": "web", "app.kubernetes.io/part-of": "store"])
    }
}
