import Foundation
import TapsterSystemTestSupport

/// `ctr` against the run's shared containerd, in the namespace kubelet's images and pods live in (`k8s.io`).
struct ContainerdClient {
    let socket: String

    /// `ctr --address <socket> --namespace k8s.io <arguments>`.
    /// - Throws: ``CommandFailed`` when it exits non-zero.
    @discardableResult
    func run(_ arguments: [String]) throws -> ProcessRunner.Output {
        try ProcessRunner.run(["ctr", "--address", socket, "--namespace", "k8s.io"] + arguments)
    }

    /// Removes an image, if there; for clean-up.
    func removeImage(_ name: String) {
        _ = try? run(["images", "rm", "--sync", name])
    }

    /// Kills and removes a container and its task, if there; for clean-up after a failed `ctr run --rm`.
    func removeContainer(_ id: String) {
        _ = try? run(["tasks", "kill", "--signal", "SIGKILL", id])
        _ = try? run(["tasks", "delete", "--force", id])
        _ = try? run(["containers", "delete", id])
    }
}
