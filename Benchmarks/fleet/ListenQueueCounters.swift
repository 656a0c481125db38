import Foundation

/// The kernel's counts of connections a listener's full accept queue turned away (`/proc/net/netstat`, `TcpExt:`
/// `ListenOverflows` and `ListenDrops`), for this network namespace as a whole: read before and after a reconnect
/// storm, their difference says whether the agent listener's queue held the fleet.
struct ListenQueueCounters {
    var overflows: Int
    var drops: Int

    /// The counters now; nil when the file or its fields are missing.
    static func read() -> ListenQueueCounters? {
        guard let text = try? String(contentsOfFile: "/proc/net/netstat", encoding: .utf8) else { return nil }
        // Two lines per group: the names, then the values, each starting with the group's name.
        let lines = text.split(separator: "\n").filter { $0.hasPrefix("TcpExt:") }
        guard lines.count == 2 else { return nil }
        let names = lines[0].split(separator: " ").dropFirst(), values = lines[1].split(separator: " ").dropFirst()
        let fields = Dictionary(zip(names.map(String.init), values.compactMap { Int($0) }), uniquingKeysWith: { first, _ in first })
        guard let overflows = fields["ListenOverflows"], let drops = fields["ListenDrops"] else { return nil }
        return ListenQueueCounters(overflows: overflows, drops: drops)
    }
}
