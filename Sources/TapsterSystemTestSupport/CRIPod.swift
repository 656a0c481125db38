import Foundation
import Synchronization
import TapsterCRI

/// A pod a test runs on the test ``Containerd``, created through the CRI exactly as kubelet creates one:
/// `RunPodSandbox` with the pod's metadata (name, namespace, a fresh uid) and labels, then `CreateContainer`
/// and `StartContainer` for its one container. Tests run pods with ``with(name:namespace:labels:hostNetwork:command:_:)``
/// (or ``withWebAndDB(_:)``), which remove them afterwards, also when the test fails.
public final class CRIPod: Sendable {
    /// The pod's name and Kubernetes namespace.
    public let name: String
    public let namespace: String
    /// The pod's uid (a fresh UUID, as the API server gives).
    public let uid: String
    /// The runtime's id of the pod's sandbox.
    public let sandboxID: String
    /// Whether it has the host's network namespace.
    public let hostNetwork: Bool
    private let removed = Mutex(false)

    private init(name: String, namespace: String, uid: String, sandboxID: String, hostNetwork: Bool) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.sandboxID = sandboxID
        self.hostNetwork = hostNetwork
    }

    /// Runs the pod `namespace/name` with `labels` and one container `app` running `command` (a shell
    /// command for busybox's `sh -c`; by default it sleeps), on the test network or, with `hostNetwork`, on
    /// the host's.
    /// - Throws: ``CRIError`` when the runtime refuses a step; what was made is removed.
    public static func run(name: String, namespace: String, labels: [String: String] = [:], hostNetwork: Bool = false,
                           command: String = "exec sleep infinity") async throws -> CRIPod {
        let connection = try Containerd.connection()
        var metadata = Runtime_V1_PodSandboxMetadata()
        metadata.name = name
        metadata.namespace = namespace
        metadata.uid = UUID().uuidString.lowercased()
        var config = Runtime_V1_PodSandboxConfig()
        config.metadata = metadata
        config.hostname = hostNetwork ? "" : name
        // kubelet adds the pod's name, namespace and uid to the labels it gives the sandbox.
        config.labels = labels.merging([
            "io.kubernetes.pod.name": name, "io.kubernetes.pod.namespace": namespace, "io.kubernetes.pod.uid": metadata.uid,
        ]) { own, _ in own }
        config.linux.securityContext.namespaceOptions.network = hostNetwork ? .node : .pod
        config.linux.securityContext.namespaceOptions.pid = .container
        var runRequest = Runtime_V1_RunPodSandboxRequest()
        runRequest.config = config
        let sandboxID = try await connection.call("RunPodSandbox") { runtime, options in
            try await runtime.runPodSandbox(runRequest, options: options).podSandboxID
        }
        let pod = CRIPod(name: name, namespace: namespace, uid: metadata.uid, sandboxID: sandboxID, hostNetwork: hostNetwork)
        do {
            var container = Runtime_V1_ContainerConfig()
            container.metadata.name = "app"
            container.image.image = Containerd.image
            container.command = ["/bin/sh", "-c", command]
            container.labels = ["io.kubernetes.container.name": "app"]
            var createRequest = Runtime_V1_CreateContainerRequest()
            createRequest.podSandboxID = sandboxID
            createRequest.config = container
            createRequest.sandboxConfig = config
            let containerID = try await connection.call("CreateContainer") { runtime, options in
                try await runtime.createContainer(createRequest, options: options).containerID
            }
            var startRequest = Runtime_V1_StartContainerRequest()
            startRequest.containerID = containerID
            _ = try await connection.call("StartContainer") { runtime, options in
                try await runtime.startContainer(startRequest, options: options)
            }
        } catch {
            await pod.remove()
            throw error
        }
        return pod
    }

    /// A fresh Kubernetes namespace name, `shop-<6 hex digits>`: each test's pods get their own, so tests
    /// running side by side on the run's one containerd never see each other's.
    public static func freshNamespace() -> String {
        "shop-" + String(format: "%06x", UInt32.random(in: 0...0xFF_FFFF))
    }

    /// Runs the pod as ``run(name:namespace:labels:hostNetwork:command:)`` does, passes it to `body`, and
    /// removes it afterwards (also when `body` throws).
    public static func with<T>(name: String, namespace: String, labels: [String: String] = [:], hostNetwork: Bool = false,
                               command: String = "exec sleep infinity", _ body: (CRIPod) async throws -> T) async throws -> T {
        let pod = try await run(name: name, namespace: namespace, labels: labels, hostNetwork: hostNetwork, command: command)
        do {
            let result = try await body(pod)
            await pod.remove()
            return result
        } catch {
            await pod.remove()
            throw error
        }
    }

    /// Runs pods `web` (label `app=web`) and `db` (`app=db`) in a fresh namespace, passes the namespace and the
    /// pods to `body`, and removes them afterwards (also when `body` throws).
    public static func withWebAndDB<T>(_ body: (_ namespace: String, _ web: CRIPod, _ db: CRIPod) async throws -> T) async throws -> T {
        let namespace = freshNamespace()
        return try await with(name: "web", namespace: namespace, labels: ["app": "web"]) { web in
            try await with(name: "db", namespace: namespace, labels: ["app": "db"]) { db in
                try await body(namespace, web, db)
            }
        }
    }

    /// Its IPv4 address on the test network, as the runtime reports it.
    public func address() async throws -> String {
        var request = Runtime_V1_PodSandboxStatusRequest()
        request.podSandboxID = sandboxID
        return try await Containerd.connection().call("PodSandboxStatus") { runtime, options in
            try await runtime.podSandboxStatus(request, options: options).status.network.ip
        }
    }

    /// Its network namespace as its sandbox's `/proc/<pid>/ns/net` (the pid the runtime's verbose status
    /// names), which `nsenter --net=` and tshark enter from any mount namespace.
    public func namespacePath() async throws -> String {
        var request = Runtime_V1_PodSandboxStatusRequest()
        request.podSandboxID = sandboxID
        request.verbose = true
        let info = try await Containerd.connection().call("PodSandboxStatus") { runtime, options in
            try await runtime.podSandboxStatus(request, options: options).info["info"] ?? ""
        }
        struct Info: Decodable { var pid: Int? }
        guard let pid = try JSONDecoder().decode(Info.self, from: Data(info.utf8)).pid, pid > 0 else {
            throw CRIError(socketPath: try Containerd.socket(), operation: "PodSandboxStatus", reason: "no sandbox pid for \(namespace)/\(name)")
        }
        return "/proc/\(pid)/ns/net"
    }

    /// Stops it (as kubelet does when a pod is deleted): the sandbox is no longer READY and its network is torn down.
    public func stop() async throws {
        var request = Runtime_V1_StopPodSandboxRequest()
        request.podSandboxID = sandboxID
        _ = try await Containerd.connection().call("StopPodSandbox") { runtime, options in
            try await runtime.stopPodSandbox(request, options: options)
        }
    }

    /// Stops and removes it (StopPodSandbox, RemovePodSandbox, as kubelet does). Idempotent; errors are ignored.
    public func remove() async {
        guard !removed.withLock({ state in defer { state = true }; return state }) else { return }
        await Self.removeSandbox(sandboxID)
    }

    /// Leaves the pod running when this value goes (a benchmark's command that made it exits; it removes the
    /// pod later with ``removeSandbox(_:)``).
    public func keepRunning() {
        removed.withLock { $0 = true }
    }

    /// Stops and removes the sandbox `id` (StopPodSandbox, RemovePodSandbox), as kubelet does; errors are ignored.
    public static func removeSandbox(_ id: String) async {
        guard let connection = try? Containerd.connection() else { return }
        var stopRequest = Runtime_V1_StopPodSandboxRequest()
        stopRequest.podSandboxID = id
        _ = try? await connection.call("StopPodSandbox") { runtime, options in try await runtime.stopPodSandbox(stopRequest, options: options) }
        var removeRequest = Runtime_V1_RemovePodSandboxRequest()
        removeRequest.podSandboxID = id
        _ = try? await connection.call("RemovePodSandbox") { runtime, options in try await runtime.removePodSandbox(removeRequest, options: options) }
    }

    /// A pod its test did not remove (it should have): removed in the background, since a deinit cannot wait
    /// and blocking a thread of the test's cooperative pool may starve the removal itself.
    deinit {
        guard !removed.withLock({ $0 }) else { return }
        let sandboxID = sandboxID
        Task.detached { await Self.removeSandbox(sandboxID) }
    }
}
