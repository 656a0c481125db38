#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import GRPCCore
import Logging
import Synchronization
import TapsterWire

/// Sends one tap's captured packets to the server (`SendPackets`): the capture's interfaces first, then the
/// queued blocks every 20 ms, in batches of at most ``PacketBatchPieces/maximumBytes`` (with the description of any
/// interface added meanwhile, ahead of its packets),
/// a watermark every 50 ms (every packet before it has been sent: the server's merge need not wait for this
/// host when it is idle), the interfaces' counters every second, and — once every capture of the tap has ended (deadline, stop) —
/// the rest with the final counters and `last`. The packets go to the replica that
/// runs the capture (``CaptureUpload/replicaAddress``: a connection of their own, with the agent's identity,
/// wherever the control channel is). A failed connection is retried with backoff; blocks offered meanwhile
/// wait in the bounded queue or are dropped and counted.
final class CaptureUploader: Sendable {
    let upload: CaptureUpload
    private let connector: AgentConnector
    private let logger: Logger
    private struct Sessions {
        var all: [(index: UInt32, session: any StreamedCapture)] = []
        /// Sources being added (``beginJoin()`` without its ``endJoin()``): the upload stays open for them.
        var joining = 0
        /// Set once the uploader decided every session has ended: it sends `last` and takes no more sessions.
        var closing = false
    }
    private let sessions = Mutex(Sessions())
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(upload: CaptureUpload, connector: AgentConnector, logger: Logger) {
        self.upload = upload
        self.connector = connector
        self.logger = logger
    }

    /// Starts sending, for these sessions with their interface indexes (sources that failed have none).
    func start(sessions: [(index: UInt32, session: any StreamedCapture)]) {
        self.sessions.withLock { $0.all = sessions }
        let running = Task { await self.run() }
        task.withLock { $0 = running }
    }

    /// Keeps the upload open for a source about to join the running tap; false when the uploader has already
    /// decided to finish (every session ended), and the tap must start over instead.
    func beginJoin() -> Bool {
        sessions.withLock { sessions in
            guard !sessions.closing else { return false }
            sessions.joining += 1
            return true
        }
    }

    /// Sends for one more session that joined the running tap (between ``beginJoin()`` and ``endJoin()``),
    /// whose interface the upload describes already.
    func add(_ session: any StreamedCapture, index: UInt32) {
        sessions.withLock { $0.all.append((index, session)) }
    }

    /// Ends a ``beginJoin()``.
    func endJoin() {
        sessions.withLock { $0.joining -= 1 }
    }

    /// Whether every session has ended (stopped by the reconciler, at the deadline, or failed) and none is
    /// joining: the uploader then sends the rest and the last batch, and returns — decided once, under the
    /// lock a joining source takes too.
    private var allEnded: Bool {
        sessions.withLock { sessions in
            if sessions.closing { return true }
            sessions.closing = sessions.joining == 0 && sessions.all.allSatisfy { $0.session.state.hasEnded }
            return sessions.closing
        }
    }

    /// Returns once the uploader has sent its last batch and closed its stream (or gave up), or after `limit`.
    func finished(within limit: Duration) async {
        guard let running = task.withLock({ $0 }) else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await running.value }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    private func run() async {
        var backoff = Backoff()
        while !Task.isCancelled {
            let server = connector.uploadServer(named: upload.replicaAddress)
            do {
                try await withGRPCClient(transport: try connector.transport(to: server)) { client in
                    let service = Tapster_Agent_V1_AgentService.Client(wrapping: client)
                    let request = StreamingClientRequest(of: Tapster_Agent_V1_PacketBatch.self) { writer in
                        try await self.send(to: writer)
                    }
                    _ = try await service.sendPackets(request: request)
                }
                return
            } catch {
                logger.warning("capture upload failed: \(error)", metadata: ["tap": "\(upload.tapID)", "server": "\(server)"])
                if allEnded, upload.discardQueued() == 0 { return }
                try? await Task.sleep(for: backoff.nextDelay())
            }
        }
    }

    private func send(to writer: RPCWriter<Tapster_Agent_V1_PacketBatch>) async throws {
        // Every stream opens with all the interfaces so far (the server takes a repeat on a new stream as
        // the sign of a resumed one); later ones are described once, on the stream they appear.
        var first = batch()
        first.interfaces = upload.interfaces(after: 0)
        var described = first.interfaces.count
        try await writer.write(first)
        let clock = ContinuousClock()
        var nextCounters = clock.now
        var nextWatermark = clock.now
        var lastWatermark: UInt64 = 0
        // Exchanged with the upload's queue on every take: the two buffers keep their capacity.
        var taken: [UInt8] = []
        while true {
            let ended = allEnded
            // Read before the blocks are taken: every packet before it is in the queue by now.
            let mark = watermark()
            // Blocks first, then the interfaces: a block taken here has its interface described already.
            upload.take(into: &taken)
            let added = upload.interfaces(after: described)
            if !added.isEmpty {
                var message = batch()
                message.interfaces = added
                try await writer.write(message)
                described += added.count
            }
            var pieces = PacketBatchPieces()
            while let piece = pieces.next(in: taken) {
                var message = batch()
                message.blocks = Data(taken[piece])
                try await writer.write(message)
            }
            if !ended, clock.now >= nextWatermark, let mark, mark > lastWatermark {
                var message = batch()
                message.watermarkNs = mark
                try await writer.write(message)
                lastWatermark = mark
                nextWatermark = clock.now.advanced(by: Self.watermarkInterval)
            }
            if ended || clock.now >= nextCounters {
                var message = batch()
                message.counters = counters()
                message.last = ended
                try await writer.write(message)
                nextCounters = clock.now.advanced(by: .seconds(1))
                if ended { return }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// How often an upload tells the server how far its host has sent everything.
    static let watermarkInterval: Duration = .milliseconds(50)

    /// The oldest watermark of the tap's running captures (each has flushed every packet before its own);
    /// nil while one has not woken yet, or when none runs.
    private func watermark() -> UInt64? {
        sessions.withLock { sessions in
            let running = sessions.all.filter { !$0.session.state.hasEnded }.map(\.session.watermark)
            guard let oldest = running.min(), oldest > 0 else { return nil }
            return oldest
        }
    }

    private func batch() -> Tapster_Agent_V1_PacketBatch {
        var batch = Tapster_Agent_V1_PacketBatch()
        batch.captureID = upload.captureID
        batch.tapID = upload.tapID
        return batch
    }

    private func counters() -> [Tapster_Agent_V1_InterfaceCounters] {
        sessions.withLock { sessions in
            sessions.all.map { index, session in
                let counters = session.counters
                var interface = Tapster_Agent_V1_InterfaceCounters()
                interface.index = index
                interface.received = counters.packets
                interface.kernelDrops = counters.kernelDrops
                interface.agentDrops = counters.capDrops + counters.sendDrops
                return interface
            }
        }
    }
}
