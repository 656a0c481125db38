import Foundation

/// CPU time and resident memory of a process, from `/proc/PID/stat` and `/proc/PID/status`.
struct ProcessMeter {
    let pid: pid_t

    /// User + system CPU seconds used so far.
    func cpuSeconds() throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the command name (which may hold spaces, inside parentheses): state is field 3,
        // utime 14 and stime 15 — indexes 11 and 12 of what follows ") ".
        guard let close = stat.lastIndex(of: ")") else { throw MeterError(pid: pid, what: "stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw MeterError(pid: pid, what: "stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Resident memory (`VmRSS`) in bytes.
    func residentBytes() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kB = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else {
            throw MeterError(pid: pid, what: "status")
        }
        return kB * 1024
    }
}

/// `/proc/PID/…` could not be read or parsed.
struct MeterError: Error, CustomStringConvertible {
    let pid: pid_t
    let what: String
    var description: String { "cannot read /proc/\(pid)/\(what)" }
}
