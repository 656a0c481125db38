import Foundation
import TapsterCore
import TapsterStore

extension FleetService {
    /// The server's metrics as a Prometheus text exposition: per tap and host, the packets, bytes and
    /// drops by cause agents last reported (counters, as the agents count them); the agents by state,
    /// and how many are connected here; the active taps. Admins and auditors only: the series name taps
    /// and hosts of every tenant.
    public func metrics(_ p: Principal) async throws -> String {
        guard p.role != .owner else { throw TapsterError.forbidden("only admins and auditors read /metrics (it names every tenant's taps)") }
        let series = tapCounters.current(at: now)
        let agents = try await store.listAgents()
        let active = try await store.listTaps(TapQuery(states: [.active])).count
        let connected = await agentHub.connectedAgents.count
        var exposition = MetricsExposition()
        func labels(_ entry: TapCounters.Entry) -> [(String, String)] { [("tap", entry.tapID), ("host", entry.status.agent)] }
        exposition.family("tapster_tap_packets_total", .counter, help: "Packets captured for a tap on a host, as its agent reports them.",
                          series.map { .init(labels($0), $0.status.packets) })
        exposition.family("tapster_tap_bytes_total", .counter, help: "Bytes captured for a tap on a host, as its agent reports them.",
                          series.map { .init(labels($0), $0.status.bytes) })
        exposition.family("tapster_tap_drops_total", .counter,
                          help: "Packets of a tap lost on a host, by cause: kernel (pcap_stats), cap (bandwidth cap), send (failed sends), buffer (full stream buffer).",
                          series.flatMap { entry -> [MetricsExposition.Sample] in
                              let drops = entry.status.dropsByCause ?? DropCounts(kernel: entry.status.drops)
                              return [("kernel", drops.kernel), ("cap", drops.cap), ("send", drops.send), ("buffer", drops.buffer)]
                                  .map { .init(labels(entry) + [("cause", $0.0)], $0.1) }
                          })
        exposition.family("tapster_agents_connected", .gauge, help: "Agents with an open control channel to this server.",
                          [.init([], UInt64(connected))])
        exposition.family("tapster_agents", .gauge, help: "Enrolled agents by state.",
                          [Agent.State.connected, .disconnected, .revoked].map { state in
                              .init([("state", state.rawValue)], UInt64(agents.filter { $0.state == state }.count))
                          })
        exposition.family("tapster_taps_active", .gauge, help: "Taps in state active.", [.init([], UInt64(active))])
        // Flight recorders, per recorder and host, as this replica's agents last reported them.
        let recorders = recorderStatuses.all(at: now)
        func recorderSeries(_ value: (RecorderHostStatus) -> UInt64) -> [MetricsExposition.Sample] {
            recorders.map { .init([("recorder", $0.recorder), ("host", $0.status.host)], value($0.status)) }
        }
        exposition.family("tapster_recorder_bytes_held", .gauge, help: "Bytes a recorder's rings hold on a host (packets and record headers).",
                          recorderSeries(\.bytesHeld))
        exposition.family("tapster_recorder_bytes_reserved", .gauge, help: "Bytes reserved for a recorder's rings on a host.",
                          recorderSeries(\.bytesReserved))
        exposition.family("tapster_recorder_packets_held", .gauge, help: "Packets a recorder's rings hold on a host.", recorderSeries(\.packetsHeld))
        exposition.family("tapster_recorder_oldest_age_milliseconds", .gauge, help: "How old the oldest packet a recorder holds on a host is.",
                          recorderSeries(\.oldestAgeMilliseconds))
        exposition.family("tapster_recorder_evicted_total", .counter, help: "Packets a recorder's rings pushed out by the byte limit on a host.",
                          recorderSeries(\.evicted))
        exposition.family("tapster_recorder_kernel_drops_total", .counter, help: "Packets the kernel dropped before a recorder's rings on a host.",
                          recorderSeries(\.kernelDrops))
        return exposition.text
    }
}
