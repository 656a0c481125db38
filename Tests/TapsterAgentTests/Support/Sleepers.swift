import TapsterSystemTestSupport
import Foundation

/// Long-running `sleep` processes in network namespaces, for tests of process namespaces, and their pids.
enum Sleepers {
    /// A `sleep` in a network namespace of its own (a process namespace scans report).
    static func unshared(_ directory: ScratchDirectory, name: String) async throws -> (BackgroundProcess, Int32) {
        let process = try BackgroundProcess(name: name, ["unshare", "-n", "sh", "-c", "echo $$; exec sleep 600"], directory: directory)
        return (process, try await pid(of: process))
    }

    /// A `sleep` inside the named namespace `namespace` of `topology` (scans report the named namespace, never
    /// its processes).
    static func inNamed(_ namespace: String, of topology: NetnsTopology, _ directory: ScratchDirectory) async throws
        -> (BackgroundProcess, Int32) {
        let process = try topology.spawn(in: namespace, name: "sleeper", ["sh", "-c", "echo $$; exec sleep 600"], directory: directory)
        return (process, try await pid(of: process))
    }

    /// Runs `body` with a `sleep` inside the named namespace of a one-role (`web`) topology, a scratch
    /// directory, and the sleep's pid; removes them all afterwards, whatever happens.
    static func withOneInNamed<T>(_ body: (NetnsTopology, ScratchDirectory, Int32) async throws -> T) async throws -> T {
        let topology = try NetnsTopology(roles: ["web"])
        defer { topology.remove() }
        let directory = try ScratchDirectory(label: topology.prefix)
        defer { directory.remove() }
        let (process, pid) = try await inNamed(topology["web"].namespace, of: topology, directory)
        defer { process.stop(grace: .seconds(1)) }
        return try await body(topology, directory, pid)
    }

    /// The pid the process's shell printed before it exec'd `sleep`.
    private static func pid(of process: BackgroundProcess) async throws -> Int32 {
        try await eventually("the shell to print its pid") { Int32(process.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
