import Foundation
import TapsterAPI
import TapsterCore

extension RecorderView: TableRenderable {
    public static var resourceKind: String { "recorder" }
    public static var plural: String { "recorders" }
    public static var columns: [Column<RecorderView>] {
        [
            Column("NAME") { $0.recorder.name },
            Column("FILTER") { $0.recorder.filter },
            Column("WINDOW") { $0.recorder.window.description },
            Column("MAX-BYTES") { ByteCount(bytes: $0.recorder.maxBytes).description },
            // Per host, as its agent last reported: memory held of reserved, packets, the oldest packet's age,
            // evictions by the byte limit and kernel drops.
            Column("HOSTS") { view in
                view.hosts.isEmpty ? "none reporting" : view.hosts.map(\.summary).joined(separator: ", ")
            },
            .age(\.recorder.createdAt),
        ]
    }
    public var outputName: String { recorder.name }

    public func sections(now: Date) -> [TableSection] {
        guard !hosts.isEmpty else { return [] }
        let columns: [Column<RecorderHostStatus>] = [
            Column("HOST") { $0.host },
            Column("HELD") { ByteCount(bytes: $0.bytesHeld).description },
            Column("RESERVED") { ByteCount(bytes: $0.bytesReserved).description },
            Column("PACKETS") { String($0.packetsHeld) },
            Column("OLDEST") { RecorderHostStatus.seconds($0.oldestAgeMilliseconds) },
            Column("CAPTURED") { String($0.captured) },
            Column("EVICTED") { String($0.evicted) },
            Column("EXPIRED") { String($0.expired) },
            Column("DROPS") { String($0.kernelDrops) },
            Column("SOURCES") { String($0.sources) },
            Column("FAILURES") { $0.failures.joined(separator: "; ") },
        ]
        return [TableSection(title: "Hosts", table: hosts.table(columns, now: now))]
    }
}

extension RecorderHostStatus {
    /// `node1 12MiB/64MiB 3412 pkts oldest 29.9s evicted 0 drops 0`.
    var summary: String {
        "\(host) \(ByteCount(bytes: bytesHeld))/\(ByteCount(bytes: bytesReserved)) \(packetsHeld) pkts oldest \(Self.seconds(oldestAgeMilliseconds)) "
            + "evicted \(evicted) drops \(kernelDrops)"
    }

    static func seconds(_ milliseconds: UInt64) -> String {
        String(format: "%.1fs", Double(milliseconds) / 1000)
    }
}
