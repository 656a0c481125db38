import Foundation

/// A process's resident memory as the kernel reports it in `/proc/PID/status` (`VmRSS`), for tests that bound or
/// compare memory.
public enum ResidentMemory {
    /// The resident memory of `pid`, in bytes.
    /// - Throws: ``Missing`` when the status has no `VmRSS` (the process has gone, or is a kernel thread), or
    ///   what reading the file throws.
    public static func bytes(of pid: pid_t) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else {
            throw Missing(pid: pid)
        }
        return kilobytes << 10
    }

    /// `/proc/PID/status` had no `VmRSS` line.
    public struct Missing: Error, CustomStringConvertible {
        public let pid: pid_t
        public var description: String { "no VmRSS in /proc/\(pid)/status" }
    }
}
