#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TapsterCRI

/// Where a pod sandbox's network is: its own network namespace, or the host's (a host-network pod).
///
/// The CRI's status says whether the pod has the host's network (`linux.namespaces.options.network` is
/// `NODE`) but not where its namespace is: runtimes put that in the verbose status's `info` JSON —
/// containerd and CRI-O the sandbox's pid and the runtime spec, whose network namespace entry names the
/// namespace file (`/var/run/netns/cni-…`).
struct SandboxNetwork: Sendable, Hashable {
    /// The namespace file (from the runtime spec, when the agent sees it as a namespace) or
    /// `/proc/<pid>/ns/net`; nil for a host-network pod.
    var namespacePath: String?
    /// Whether the pod shares the host's network namespace.
    var hostNetwork: Bool

    /// A host-network pod's, or a pod's with its own namespace at `namespacePath`.
    init(namespacePath: String?, hostNetwork: Bool) {
        self.namespacePath = namespacePath
        self.hostNetwork = hostNetwork
    }

    /// The network of the sandbox whose verbose status is `status` and `info`; nil when the runtime
    /// names no namespace for a pod that is not on the host's network (it cannot be entered).
    init?(status: Runtime_V1_PodSandboxStatus, info: [String: String],
          isNamespaceFile: (String) -> Bool = SandboxNetwork.isNamespaceFile) {
        if status.linux.namespaces.options.network == .node {
            self.init(namespacePath: nil, hostNetwork: true)
            return
        }
        let details = info["info"].flatMap { try? JSONDecoder().decode(VerboseInfo.self, from: Data($0.utf8)) }
        let specPath = details?.runtimeSpec?.linux?.namespaces?.first { $0.type == "network" }?.path
        if let specPath, !specPath.isEmpty, isNamespaceFile(specPath) {
            self.init(namespacePath: specPath, hostNetwork: false)
        } else if let pid = details?.pid, pid > 0 {
            self.init(namespacePath: "/proc/\(pid)/ns/net", hostNetwork: false)
        } else {
            return nil
        }
    }

    /// Whether `path` is a namespace (a file of nsfs). Where the runtime's bind mount of it has not reached
    /// the agent's mount namespace (a DaemonSet without `mountPropagation: HostToContainer` on /var/run/netns),
    /// the path is the empty file under the mount, which must not be taken for the pod's namespace.
    static func isNamespaceFile(_ path: String) -> Bool {
        // Every namespace file is on the one nsfs, whose device the agent's own namespace file shows.
        guard let own = NamespaceIdentity(path: "/proc/self/ns/net"), let file = NamespaceIdentity(path: path) else { return false }
        return file.device == own.device
    }

    /// The parts of the verbose `info` JSON read here (containerd's and CRI-O's share them).
    private struct VerboseInfo: Decodable {
        var pid: Int?
        var runtimeSpec: RuntimeSpec?

        struct RuntimeSpec: Decodable {
            var linux: Linux?
        }
        struct Linux: Decodable {
            var namespaces: [Namespace]?
        }
        struct Namespace: Decodable {
            var type: String
            var path: String?
        }
    }
}
