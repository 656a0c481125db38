import Foundation
import TapsterSystemTestSupport

// cri-pods: makes and removes pods through the CRI of the test containerd (scripts/containerd-for-tests.sh),
// exactly as kubelet does (RunPodSandbox, CreateContainer, StartContainer), for Benchmarks/pods/run.sh.
//
//   cri-pods run NAMESPACE NAME [KEY=VALUE...]   prints the sandbox id once the pod's container has started
//   cri-pods remove SANDBOX_ID...                 stops and removes the pods
//
// The socket is $TAPSTER_TEST_CONTAINERD_SOCKET, else the script's default.

let arguments = Array(CommandLine.arguments.dropFirst())
switch (arguments.first, arguments.count) {
case ("run", 3...):
    var labels: [String: String] = [:]
    for pair in arguments.dropFirst(3) {
        let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { FileHandle.standardError.write(Data("cri-pods: a label is KEY=VALUE, not \(pair)\n".utf8)); exit(2) }
        labels[parts[0]] = parts[1]
    }
    do {
        let pod = try await CRIPod.run(name: arguments[2], namespace: arguments[1], labels: labels)
        pod.keepRunning()
        print(pod.sandboxID)
    } catch {
        FileHandle.standardError.write(Data("cri-pods: \(error)\n".utf8))
        exit(1)
    }
case ("remove", _):
    for id in arguments.dropFirst() { await CRIPod.removeSandbox(id) }
default:
    FileHandle.standardError.write(Data("usage: cri-pods run NAMESPACE NAME [KEY=VALUE...] | cri-pods remove SANDBOX_ID...\n".utf8))
    exit(2)
}
