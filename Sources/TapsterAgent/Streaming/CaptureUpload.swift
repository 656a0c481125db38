import DequeModule
import Foundation
import Synchronization
import TapsterWire

/// The packets of one `stream`/`store` tap on this host, on their way to the server's capture broker.
///
/// Capture threads (through their ``StreamSink``s) offer chunks of pcapng Enhanced Packet Blocks; the chunks
/// wait in a queue bounded by `capacity` bytes, and a chunk that does not fit is refused — the sink counts its
/// packets as dropped, so a slow server or network never makes the agent grow. The uploader
/// (``CaptureUploader``) takes chunks out and sends them as `PacketBatch`es.
final class CaptureUpload: Sendable {
    /// A chunk of blocks from one interface.
    struct Chunk: Sendable {
        var interfaceIndex: UInt32
        var blocks: Data
    }

    let captureID: String
    let tapID: String
    /// The agent endpoint of the replica that runs the capture (its plan's); nil: the control channel's.
    let replicaAddress: String?
    /// The most bytes waiting at once.
    let capacity: Int
    /// The interfaces of this capture, indexed as the blocks' interface ids, in the order they were described
    /// (a workload that joins a running tap adds one).
    private let described: Mutex<[Tapster_Agent_V1_CaptureInterface]>

    private struct Queue {
        var chunks: Deque<Chunk> = []
        var bytes = 0
    }
    private let queue = Mutex(Queue())

    init(captureID: String, tapID: String, replicaAddress: String? = nil, interfaces: [Tapster_Agent_V1_CaptureInterface],
         capacity: Int = 8 << 20) {
        self.captureID = captureID
        self.tapID = tapID
        self.replicaAddress = replicaAddress
        self.described = Mutex(interfaces)
        self.capacity = capacity
    }

    /// Adds an interface; describe it before its source offers a chunk, so the uploader sends the description
    /// no later than the chunk.
    func describe(_ interface: Tapster_Agent_V1_CaptureInterface) {
        described.withLock { $0.append(interface) }
    }

    /// The interfaces described after the first `count`.
    func interfaces(after count: Int) -> [Tapster_Agent_V1_CaptureInterface] {
        described.withLock { Array($0.dropFirst(count)) }
    }

    /// Queues a chunk; false (and nothing queued) when it does not fit.
    func offer(_ chunk: Chunk) -> Bool {
        queue.withLock { queue in
            guard queue.bytes + chunk.blocks.count <= capacity else { return false }
            queue.bytes += chunk.blocks.count
            queue.chunks.append(chunk)
            return true
        }
    }

    /// Takes every queued chunk, oldest first.
    func takeAll() -> [Chunk] {
        queue.withLock { queue in
            defer { queue = Queue() }
            return Array(queue.chunks)
        }
    }
}
