import TapsterCore

/// A container runtime that names workloads the kernel alone cannot: pods, containers.
///
/// The ``InventoryScanner`` asks each configured platform before it scans, enters each workload's
/// network namespace for its interfaces, and leaves those namespaces out of the `pid-…` process workloads.
public protocol PlatformInventory: Sendable {
    /// For logs: `cri unix:///run/containerd/containerd.sock`.
    var description: String { get }
    /// The running workloads now. Throws when the runtime cannot be asked (the scan logs it once and reports the rest).
    func workloads() async throws -> [PlatformWorkload]
}

/// One pod or container as its runtime reports it.
public struct PlatformWorkload: Sendable, Hashable {
    /// Pods: `<namespace>/<pod name>`; containers: the container's name.
    public var name: String
    /// `.pod` or `.container`.
    public var kind: WorkloadKind
    /// The runtime's own labels (they win over agent.yaml rules' labels for the same key).
    public var labels: [String: String]
    /// The network namespace to enter, e.g. `/proc/<pid>/ns/net` or `/var/run/netns/cni-…`; nil for host network.
    public var networkNamespacePath: String?
    /// What the runtime says about the workload, carried to the server unchanged.
    public var platform: PlatformIdentity
    /// When ``networkNamespacePath`` is `/proc/<pid>/ns/net`: the start time of that pid's process when the
    /// runtime named it (`/proc/<pid>/stat` field 22). The scanner leaves the workload out when the pid now
    /// has another start time — the process ended and its pid went to another, whose namespace it is.
    public var processStartTime: UInt64?

    /// Describes a workload its runtime reported.
    public init(name: String, kind: WorkloadKind, labels: [String: String] = [:], networkNamespacePath: String?,
                platform: PlatformIdentity, processStartTime: UInt64? = nil) {
        self.name = name
        self.kind = kind
        self.labels = labels
        self.networkNamespacePath = networkNamespacePath
        self.platform = platform
        self.processStartTime = processStartTime
    }

    /// The pid of a `/proc/<pid>/ns/net` path; nil for any other.
    static func pid(ofNamespacePath path: String) -> Int32? {
        guard ProcessNamespaceRecord.isProcessNamespacePath(path) else { return nil }
        return Int32(path.split(separator: "/")[1])
    }
}

/// What a container runtime says about a workload it runs (the wire's `PlatformReport`).
public struct PlatformIdentity: Sendable, Hashable {
    /// `cri` (a Kubernetes pod, through the CRI) or `docker` (the Docker Engine API; Podman serves it too).
    public var runtime: String
    /// Pods: the Kubernetes namespace (the server maps it to a tenant); empty for containers.
    public var namespace: String
    /// The pod's uid, or the container's id.
    public var uid: String
    /// Containers: the image; empty for pods.
    public var image: String
    /// Whether the workload shares the host's network namespace (it has no interfaces of its own).
    public var hostNetwork: Bool

    /// Describes a runtime's workload.
    public init(runtime: String, namespace: String = "", uid: String, image: String = "", hostNetwork: Bool = false) {
        self.runtime = runtime
        self.namespace = namespace
        self.uid = uid
        self.image = image
        self.hostNetwork = hostNetwork
    }
}
