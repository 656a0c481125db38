#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import TapsterCore

/// The running containers of a Docker Engine — or of Podman, which serves the same API — as workloads of
/// kind `container`: each named as the engine names it, with its labels exactly, its image, its id, and its
/// network namespace (`/proc/<pid>/ns/net`, or none when it shares the host's network).
///
/// Each call lists the running containers (`GET /containers/json`) and inspects only the ones it has not
/// seen yet or whose process is gone or was replaced (a restart keeps the id, not the pid; a reused
/// pid has another start time): what inspection tells —
/// pid, image, labels, network mode — does not change while a container runs, and the scanner asks every
/// second.
public struct DockerEngineInventory: PlatformInventory {
    /// The engine's unix socket.
    public let socketPath: String
    private let client: DockerEngineClient
    private let seen = Seen()

    /// The engine listening on `socketPath`.
    public init(socketPath: String) {
        self.socketPath = socketPath
        client = DockerEngineClient(socketPath: socketPath)
    }

    /// `docker unix:///var/run/docker.sock`.
    public var description: String { "docker unix://\(socketPath)" }

    /// The sockets used when none is configured (Docker's, then rootful Podman's), in that order.
    public static let defaultSocketPaths = ["/var/run/docker.sock", "/run/podman/podman.sock"]

    /// The engines the agent asks: the one at `socket` when one is configured (`--docker-socket`, else
    /// `docker-socket` in agent.yaml) — asked even while it is missing, so that a wrong path is logged —
    /// and otherwise one for each default socket that exists on this host.
    public static func configured(socket: String?) -> [DockerEngineInventory] {
        if let socket { return [DockerEngineInventory(socketPath: socket)] }
        return defaultSocketPaths.filter { FileManager.default.fileExists(atPath: $0) }.map { DockerEngineInventory(socketPath: $0) }
    }

    /// The running containers now, by name.
    /// - Throws: ``DockerEngineError`` when the engine cannot be listed. A container that stops between the
    ///   list and its inspection is left out, and so is one whose inspection fails now (it is asked again at
    ///   the next call), rather than failing the whole answer. Containers Kubernetes made through cri-dockerd
    ///   (labelled `io.kubernetes.docker.type`) are left out: they are pods, whose labels are the pod author's
    ///   and whose tenant only a namespace mapping decides.
    public func workloads() async throws -> [PlatformWorkload] {
        let running = try await client.get("/containers/json", as: [DockerEngineContainers.Summary].self)
        var current: [String: Seen.Entry] = [:]
        for summary in running {
            if let known = seen.entry(of: summary.id), known.startTime != nil,
               ProcessNamespaces.startTime(pid: known.inspection.state.pid) == known.startTime {
                current[summary.id] = known
            } else if let inspection = try? await inspect(summary.id) {
                current[summary.id] = Seen.Entry(inspection: inspection, startTime: ProcessNamespaces.startTime(pid: inspection.state.pid))
            }
        }
        seen.replace(with: current)
        return running.compactMap { summary in current[summary.id].map { Self.workload(summary, $0.inspection, startTime: $0.startTime) } }
            .filter { $0.labels[Self.kubernetesContainerLabel] == nil }
            .sorted { $0.name < $1.name }
    }

    /// The label cri-dockerd puts on the containers it makes for Kubernetes pods (`podsandbox`, `container`).
    static let kubernetesContainerLabel = "io.kubernetes.docker.type"

    /// `GET /containers/{id}/json`; nil when the container is no longer there or no longer runs.
    private func inspect(_ id: String) async throws(DockerEngineError) -> DockerEngineContainers.Inspection? {
        let inspection: DockerEngineContainers.Inspection
        do {
            inspection = try await client.get("/containers/\(id)/json", as: DockerEngineContainers.Inspection.self)
        } catch let error where error.problem.isNotFound {
            return nil
        }
        return inspection.state.running && inspection.state.pid > 0 ? inspection : nil
    }

    /// The workload of a running container. Its current name comes from the list (a rename keeps the id).
    static func workload(_ summary: DockerEngineContainers.Summary, _ inspection: DockerEngineContainers.Inspection,
                         startTime: UInt64? = nil) -> PlatformWorkload {
        let name = summary.names?.first ?? inspection.name
        let hostNetwork = inspection.hostConfig?.networkMode == "host"
        return PlatformWorkload(
            name: name.hasPrefix("/") ? String(name.dropFirst()) : name,
            kind: .container,
            labels: inspection.config.labels ?? [:],
            networkNamespacePath: hostNetwork ? nil : "/proc/\(inspection.state.pid)/ns/net",
            platform: PlatformIdentity(runtime: "docker", uid: inspection.id, image: inspection.config.image, hostNetwork: hostNetwork),
            processStartTime: hostNetwork ? nil : startTime)
    }

    /// What earlier calls inspected, by container id: only the containers running at the last call, each
    /// with its process's start time then (the same pid with another start time is another process).
    private final class Seen: Sendable {
        struct Entry: Sendable {
            var inspection: DockerEngineContainers.Inspection
            var startTime: UInt64?
        }
        private let entries = Mutex<[String: Entry]>([:])

        func entry(of id: String) -> Entry? {
            entries.withLock { $0[id] }
        }

        func replace(with current: [String: Entry]) {
            entries.withLock { $0 = current }
        }
    }
}

extension DockerEngineError.Problem {
    /// A 404: the container named is not (or no longer) there.
    var isNotFound: Bool {
        if case .status(404, _) = self { return true }
        return false
    }
}
