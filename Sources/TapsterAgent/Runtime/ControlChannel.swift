#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import TapsterCore
import TapsterWire

/// One connection of the control channel (the `Connect` RPC) with the enrolled certificate: Hello, then the
/// inventory whenever it changes and the status of every tap each `statusInterval` when it changed (otherwise
/// every ``StatusPacing/defaultHeartbeat``); desired sets from the server go to the reconciler as they arrive.
/// Returns or throws when the connection ends.
struct ControlChannel {
    let settings: AgentSettings
    /// The replica this connection goes to.
    let server: ServerAddress
    let connector: AgentConnector
    let reconciler: Reconciler
    let inventory: InventoryBoard
    let logger: Logger
    /// Called once the server has sent its first desired set (the connection is good: reset the backoff).
    let onEstablished: @Sendable () -> Void

    func run() async throws {
        try await withGRPCClient(transport: try connector.transport(to: server)) { client in
            let service = Tapster_Agent_V1_AgentService.Client(wrapping: client)
            let request = StreamingClientRequest(of: Tapster_Agent_V1_AgentMessage.self) { writer in
                try await writer.write(await hello())
                try await sendUpdates(writer)
            }
            try await service.connect(request: request) { response in
                var first = true
                for try await message in response.messages {
                    guard case .desired(let message) = message.kind else { continue }
                    // The edge: the reconciler works on Core's values, never on protobuf.
                    let desired = DesiredTapSet(message)
                    await reconciler.apply(desired)
                    if first {
                        first = false
                        logger.info("connected", metadata: ["server": "\(server)", "revision": "\(desired.revision)",
                                                            "taps": "\(desired.taps.count)"])
                        onEstablished()
                    }
                }
            }
        }
    }

    private func hello() async -> Tapster_Agent_V1_AgentMessage {
        var hello = Tapster_Agent_V1_Hello()
        hello.version = AgentVersion.current
        hello.hostname = ProcessInfo.processInfo.hostName
        hello.appliedRevision = await reconciler.appliedRevision
        hello.tunnelAddress = settings.tunnelAddress ?? ""
        var message = Tapster_Agent_V1_AgentMessage()
        message.hello = hello
        return message
    }

    /// Inventory changes (checked every 100 ms) and, every `statusInterval`, the status report if it changed
    /// (``StatusPacing``), until cancelled.
    private func sendUpdates(_ writer: RPCWriter<Tapster_Agent_V1_AgentMessage>) async throws {
        let clock = ContinuousClock()
        var sentInventory = -1
        var nextStatus = clock.now
        var pacing = StatusPacing()
        while !Task.isCancelled {
            if let (version, inventory) = await inventory.newer(than: sentInventory) {
                var message = Tapster_Agent_V1_AgentMessage()
                message.inventory = inventory
                try await writer.write(message)
                sentInventory = version
            }
            if clock.now >= nextStatus {
                let report = await reconciler.statusReport()
                if pacing.shouldSend(report, at: clock.now) {
                    var message = Tapster_Agent_V1_AgentMessage()
                    message.status = report
                    try await writer.write(message)
                }
                var batches = await reconciler.flowReports()[...]
                while let batch = batches.first {
                    var flows = Tapster_Agent_V1_AgentMessage()
                    flows.flows.flows = batch.map(Tapster_Agent_V1_FlowRecord.init)
                    do {
                        try await writer.write(flows)
                    } catch {
                        await reconciler.requeue(Array(batches.joined()))
                        throw error
                    }
                    batches = batches.dropFirst()
                }
                nextStatus = nextStatus.advanced(by: settings.statusInterval)
                if nextStatus < clock.now { nextStatus = clock.now.advanced(by: settings.statusInterval) }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
