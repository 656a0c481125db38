import Foundation
import Synchronization
import TapsterCRI

/// The test run's one containerd, serving the CRI on a socket of its own (`scripts/containerd-for-tests.sh`):
/// the socket `TAPSTER_TEST_CONTAINERD_SOCKET` names (`make test` starts it once for the whole run and
/// stops it at the end), or else started by the first test that asks, in any test process, and reused by
/// every other (the script's `start` is idempotent). A missing containerd is an error, never a skip.
public enum Containerd {
    /// The variable naming the socket of a containerd already started for the run.
    public static let socketVariable = "TAPSTER_TEST_CONTAINERD_SOCKET"
    /// The sandbox image, and the image of every test container: busybox-static's applets, built locally.
    public static let image = "docker.io/library/tapster-busybox:1"
    /// The CNI bridge network the pods get addresses on.
    public static let podSubnetPrefix = "10.66."

    /// The CRI socket, once containerd answers.
    /// - Throws: ``CommandFailed`` (with the script's words) when it cannot be started.
    public static func socket() throws -> String {
        try started.withLock { socket in
            if let socket { return socket }
            let path: String
            if let given = ProcessInfo.processInfo.environment[socketVariable], !given.isEmpty {
                path = given
            } else {
                let script = repositoryRoot.appendingPathComponent("scripts/containerd-for-tests.sh").path
                path = try ProcessRunner.run([script, "start"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            socket = path
            return path
        }
    }

    /// This process's connection to the CRI, made on first use.
    public static func connection() throws -> CRIConnection {
        let path = try socket()
        return try connectionSlot.withLock { connection in
            if let connection { return connection }
            // A guard against a hung runtime, not a bound: while the whole suite starts on 2 cores, RunPodSandbox
            // (a sandbox, its namespace and CNI bridge networking) has taken over 60 s (CI, and a local full run).
            let made = try CRIConnection(socketPath: path, timeout: .seconds(180))
            connection = made
            return made
        }
    }

    private static let started = Mutex<String?>(nil)
    private static let connectionSlot = Mutex<CRIConnection?>(nil)
}
