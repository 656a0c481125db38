#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import TapsterCore
import Glibc

/// The network namespaces of running processes, one per namespace: for each namespace not excluded, the
/// process with the lowest pid in it (so the workload's name stays the same while that process lives).
enum ProcessNamespaces {
    /// A process standing for its namespace.
    struct Entry: Equatable {
        var pid: Int32
        /// The process's command name (`/proc/<pid>/comm`), reduced to letters, digits, `.`, `_` and `-`.
        var command: String
        /// What the kernel records of the process (uid, executable), which the agent's rules match on.
        var identity: ProcessIdentity
        /// The namespace's nsfs identity when it was listed, which entering it by path later checks.
        var namespace: NamespaceIdentity
        /// The workload name: `pid-<pid>-<comm>`.
        var workloadName: String { "pid-\(pid)-\(command)" }
        /// `/proc/<pid>/ns/net`.
        var namespacePath: String { "/proc/\(pid)/ns/net" }
    }

    /// The namespaces of the processes in /proc that are not among `excluded`, ordered by pid.
    ///
    /// A pid's files are read one by one, and the process may end and its pid go to another meanwhile; an
    /// entry is kept only when the process's start time is the same before and after, so that its
    /// namespace, command, uid and executable are all of one process.
    static func list(excluding excluded: Set<NamespaceIdentity>) -> [Entry] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init).sorted()
        var seen = excluded
        var entries: [Entry] = []
        for pid in pids {
            // Most processes are in a namespace already seen (a pod's, the host's): one stat(2) tells, and only
            // the others are read, between two reads of the start time.
            guard let glimpsed = NamespaceIdentity(path: "/proc/\(pid)/ns/net"), !seen.contains(glimpsed),
                  let started = startTime(pid: pid),
                  let namespace = NamespaceIdentity(path: "/proc/\(pid)/ns/net"), !seen.contains(namespace),
                  let command = readSmallFile("/proc/\(pid)/comm"),
                  let status = readSmallFile("/proc/\(pid)/status"), let uid = realUserID(status: status) else { continue }
            let executable = executablePath(pid: pid)
            guard startTime(pid: pid) == started else { continue }
            seen.insert(namespace)
            entries.append(Entry(pid: pid, command: sanitised(command),
                                 identity: ProcessIdentity(uid: uid, executable: executable), namespace: namespace))
        }
        return entries
    }

    /// When the process `pid` started (`/proc/<pid>/stat` field 22, in clock ticks since boot): the same
    /// pid with another start time is another process.
    static func startTime(pid: Int32) -> UInt64? {
        readSmallFile("/proc/\(pid)/stat").flatMap(startTime(stat:))
    }

    /// Field 22 (`starttime`) of the text of `/proc/<pid>/stat`. Field 2 is the command in parentheses,
    /// which may itself hold spaces and parentheses, so fields are counted from after its last `)`.
    static func startTime(stat: String) -> UInt64? {
        guard let end = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: end)...].split(whereSeparator: { $0 == " " || $0 == "\n" })
        // fields[0] is field 3 (the state), so field 22 is fields[19].
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// The command name made safe for a workload name: other characters become `_`.
    static func sanitised(_ command: String) -> String {
        let trimmed = command.trimming(.newlines)
        let kept = String(trimmed.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") ? $0 : "_" })
        return kept.isEmpty ? "_" : kept
    }

    /// The real user id in the text of `/proc/<pid>/status` (the first number of its `Uid:` line).
    static func realUserID(status: String) -> UInt32? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) else { return nil }
        return line.dropFirst("Uid:".count).split(whereSeparator: { $0 == "\t" || $0 == " " }).first.flatMap { UInt32($0) }
    }

    /// The path of the process's executable (`/proc/<pid>/exe`); nil when it has none or cannot be read.
    private static func executablePath(pid: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Reads a /proc file (whose size stat reports as 0) up to 4 KiB.
    private static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}
