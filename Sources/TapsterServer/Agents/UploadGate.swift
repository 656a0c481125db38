import Foundation
import TapsterCore
import TapsterStore
import TapsterWire

/// What one `SendPackets` stream of one agent may send: batches only for captures planned for that agent
/// (``AgentHub/assignment(of:to:refresh:)``) and not run by another replica (packets go to the replica
/// where the capture's reader is, never through the database), each describing at most as many interfaces
/// as the agent was planned sources for it. Checked before a batch reaches the capture broker; a refusal
/// ends the stream.
struct UploadGate {
    let agent: String
    /// Where the capture broker of this replica is, and the records that say which replica runs a capture.
    let broker: CaptureBroker
    let store: any Store
    /// Per capture admitted on this stream: its bound, and the interfaces (index and name) described so far.
    private var admitted: [String: (sources: Int, interfaces: Set<InterfaceKey>)] = [:]

    private struct InterfaceKey: Hashable {
        var index: UInt32
        var name: String
    }

    init(agent: String, broker: CaptureBroker, store: any Store) {
        self.agent = agent
        self.broker = broker
        self.store = store
    }

    /// Admits `batch`, or throws why not: `forbidden` for a capture not planned for this agent,
    /// `invalid_state` for a capture another replica runs (the message names it and its agent address),
    /// `invalid_argument` for a batch without a capture id or with more interfaces than planned sources.
    mutating func admit(_ batch: Tapster_Agent_V1_PacketBatch, hub: AgentHub) async throws -> String {
        let id = batch.captureID.isEmpty ? batch.tapID : batch.captureID
        guard !id.isEmpty else { throw TapsterError(.invalidArgument, "a packet batch names no capture (capture_id or tap_id)") }
        if admitted[id] == nil {
            guard let assignment = try await hub.assignment(of: id, to: agent) else {
                throw TapsterError(.forbidden, "capture \(id) is not planned for agent \(agent): it may not send packets for it")
            }
            try await requireRunsHere(id)
            admitted[id] = (assignment.sources, [])
        }
        guard !batch.interfaces.isEmpty else { return id }
        var interfaces = admitted[id]!.interfaces
        interfaces.formUnion(batch.interfaces.map { InterfaceKey(index: $0.index, name: $0.name) })
        if interfaces.count > admitted[id]!.sources {
            // The plan may have grown since (a workload joined the capture): ask once more.
            let sources = try await hub.assignment(of: id, to: agent, refresh: true)?.sources ?? 0
            admitted[id]!.sources = sources
            guard interfaces.count <= sources else {
                throw TapsterError(.invalidArgument,
                                   "agent \(agent) described \(interfaces.count) interfaces for capture \(id), more than the \(sources) sources planned for it")
            }
        }
        admitted[id]!.interfaces = interfaces
        return id
    }

    /// Throws `invalid_state` when another replica runs capture `id`. A capture this broker does not run
    /// and whose record names no other replica (it ended here, or predates replicas) passes: the broker
    /// counts its batches as late and ignores them.
    private func requireRunsHere(_ id: String) async throws {
        guard await !broker.runs(id), let owner = try await store.findCapture(id: id)?.replica else { return }
        let here = broker.settings.replica
        guard owner.name != here?.name else { return }
        throw TapsterError(.invalidState, "capture \(id) runs on replica \(owner.name) (agents at \(owner.agentAddress)), "
                           + "not on \(here?.name ?? "this server"): send its packets there")
    }
}
