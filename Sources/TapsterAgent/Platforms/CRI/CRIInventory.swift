#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import TapsterCRI
import TapsterCore

/// The pods a container runtime runs, asked through the CRI (`runtime.v1`, as kubelet asks it): each
/// READY pod sandbox is one `pod` workload named `<namespace>/<name>`, with the pod's labels, its uid and
/// Kubernetes namespace, and its network namespace (none for a host-network pod).
///
/// Each poll is one `ListPodSandbox`; a sandbox's network (`PodSandboxStatus`, verbose) is asked once and
/// kept while the sandbox is listed, since a sandbox keeps its network namespace for its whole life; a
/// sandbox whose status cannot be asked yet is listed at a later poll.
public final class CRIInventory: PlatformInventory {
    /// The runtime's socket.
    public let socketPath: String
    private let connection: CRIConnection
    /// The network of each sandbox seen, by sandbox id (nil: its status names none), with the start time of
    /// the process whose `/proc/<pid>/ns/net` it is, when it is one.
    private let networks = Mutex<[String: Known]>([:])
    private struct Known: Sendable {
        var network: SandboxNetwork?
        var startTime: UInt64?
    }

    /// Asks the runtime at `socketPath` (a path, or a `unix://` URL).
    public init(socketPath: String) throws(CRIError) {
        connection = try CRIConnection(socketPath: socketPath)
        self.socketPath = connection.socketPath
    }

    /// The sockets used when none is configured: containerd's, CRI-O's, cri-dockerd's, in that order.
    public static let defaultSocketPaths = ["/run/containerd/containerd.sock", "/run/crio/crio.sock", "/var/run/cri-dockerd.sock"]

    /// The runtimes the agent asks: the one at `socket` when one is configured (`--cri-socket`, else
    /// `cri-socket` in agent.yaml) — asked even while it is missing, so that a wrong path is logged — and
    /// otherwise one for each default socket that exists on this host.
    public static func configured(socket: String?) throws(CRIError) -> [CRIInventory] {
        if let socket { return [try CRIInventory(socketPath: socket)] }
        var inventories: [CRIInventory] = []
        for path in defaultSocketPaths where FileManager.default.fileExists(atPath: path) {
            inventories.append(try CRIInventory(socketPath: path))
        }
        return inventories
    }

    /// `cri unix:///run/containerd/containerd.sock`.
    public var description: String { "cri unix://\(socketPath)" }

    /// The READY pod sandboxes, sorted by name.
    public func workloads() async throws -> [PlatformWorkload] {
        var filter = Runtime_V1_PodSandboxFilter()
        filter.state.state = .sandboxReady
        var request = Runtime_V1_ListPodSandboxRequest()
        request.filter = filter
        let sandboxes = try await connection.call("ListPodSandbox") { runtime, options in
            try await runtime.listPodSandbox(request, options: options).items
        }
        let ready = sandboxes.filter { $0.state == .sandboxReady }
        let known = networks.withLock { $0 }
        var current: [String: Known] = [:]
        for sandbox in ready {
            if let network = known[sandbox.id] {
                current[sandbox.id] = network
            } else if let network = await network(ofSandbox: sandbox.id) {
                let pid = network?.namespacePath.flatMap(PlatformWorkload.pid(ofNamespacePath:))
                current[sandbox.id] = Known(network: network, startTime: pid.flatMap(ProcessNamespaces.startTime(pid:)))
            }
        }
        networks.withLock { $0 = current }
        return ready.compactMap { sandbox in
            current[sandbox.id].flatMap { known in known.network.map { Self.workload(sandbox, network: $0, startTime: known.startTime) } }
        }.sorted { $0.name < $1.name }
    }

    /// The sandbox's network from its verbose status: `.some(nil)` when the status names no network
    /// namespace (a runtime without verbose info, such as cri-dockerd: the pod cannot be entered, is not
    /// listed, and is not asked again); nil when the sandbox went meanwhile or its status could not be asked
    /// now — a new pod is then listed at a later poll, rather than the whole answer failing (and every known
    /// pod leaving the inventory) because one call was slow.
    private func network(ofSandbox id: String) async -> SandboxNetwork?? {
        var request = Runtime_V1_PodSandboxStatusRequest()
        request.podSandboxID = id
        request.verbose = true
        do {
            let response = try await connection.call("PodSandboxStatus") { runtime, options in
                try await runtime.podSandboxStatus(request, options: options)
            }
            return .some(SandboxNetwork(status: response.status, info: response.info))
        } catch {
            return nil
        }
    }

    /// The workload of a READY sandbox.
    static func workload(_ sandbox: Runtime_V1_PodSandbox, network: SandboxNetwork, startTime: UInt64? = nil) -> PlatformWorkload {
        let metadata = sandbox.metadata
        return PlatformWorkload(
            name: "\(metadata.namespace)/\(metadata.name)", kind: .pod, labels: podLabels(sandbox.labels),
            networkNamespacePath: network.namespacePath,
            platform: PlatformIdentity(runtime: "cri", namespace: metadata.namespace, uid: metadata.uid,
                                       hostNetwork: network.hostNetwork),
            processStartTime: startTime)
    }

    /// The pod's own labels: the sandbox's, without the three kubelet adds to every sandbox (the pod's
    /// name, namespace and uid, which the workload carries in its own fields).
    static func podLabels(_ sandboxLabels: [String: String]) -> [String: String] {
        sandboxLabels.filter { !kubeletLabels.contains($0.key) }
    }

    /// The labels kubelet adds to a sandbox (`kubetypes.KubernetesPod…Label`), not the pod's.
    static let kubeletLabels: Set<String> = ["io.kubernetes.pod.name", "io.kubernetes.pod.namespace", "io.kubernetes.pod.uid"]
}
