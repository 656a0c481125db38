#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
import TapsterWire

/// The packets of one `stream`/`store` tap on this host, on their way to the server's capture broker.
///
/// Capture threads (through their ``StreamSink``s) append runs of pcapng Enhanced Packet Blocks to one byte
/// queue bounded by `capacity` bytes; a run that does not fit is refused — the sink counts its packets as
/// dropped, so a slow server or network never makes the agent grow. The uploader (``CaptureUploader``) takes
/// everything queued at once and sends it as `PacketBatch`es.
///
/// No allocation per flush: a take exchanges the queue with the uploader's emptied buffer, and both keep their
/// capacity, so once they have grown to the traffic's working set (never past `capacity`) appending a run
/// and taking the queue only copy bytes. (A `Data` per flush cost one allocation per round of the capture
/// loop: Benchmarks/allocations.)
package final class CaptureUpload: Sendable {
    let captureID: String
    let tapID: String
    /// The agent endpoint of the replica that runs the capture (its plan's); nil: the control channel's.
    let replicaAddress: String?
    /// The most bytes waiting at once.
    let capacity: Int
    /// The interfaces of this capture, indexed as the blocks' interface ids, in the order they were described
    /// (a workload that joins a running tap adds one).
    private let described: Mutex<[Tapster_Agent_V1_CaptureInterface]>
    /// The blocks waiting, in the order they were offered.
    private let queue = Mutex<[UInt8]>([])

    package init(captureID: String, tapID: String, replicaAddress: String? = nil, interfaces: [Tapster_Agent_V1_CaptureInterface],
                 capacity: Int = 8 << 20) {
        self.captureID = captureID
        self.tapID = tapID
        self.replicaAddress = replicaAddress
        self.described = Mutex(interfaces)
        self.capacity = capacity
    }

    /// Adds an interface; describe it before its source offers blocks, so the uploader sends the description
    /// no later than the blocks.
    func describe(_ interface: Tapster_Agent_V1_CaptureInterface) {
        described.withLock { $0.append(interface) }
    }

    /// Sets the link type of the described interface `index` (its capture has opened the interface): only before
    /// the uploader has started, which sends the descriptions.
    func setLinkType(_ linkType: UInt32, ofInterface index: UInt32) {
        described.withLock { interfaces in
            for position in interfaces.indices where interfaces[position].index == index { interfaces[position].linkType = linkType }
        }
    }

    /// The interfaces described after the first `count`.
    func interfaces(after count: Int) -> [Tapster_Agent_V1_CaptureInterface] {
        described.withLock { Array($0.dropFirst(count)) }
    }

    /// Queues a run of blocks (copied); false (and nothing queued) when it does not fit.
    package func offer(_ blocks: UnsafeRawBufferPointer) -> Bool {
        queue.withLock { queued in
            let needed = queued.count + blocks.count
            guard needed <= capacity else { return false }
            if needed > queued.capacity {
                // Doubling, as an array grows by itself, but never past the bound.
                queued.reserveCapacity(min(capacity, max(needed, 2 * queued.capacity)))
            }
            queued.append(contentsOf: blocks)
            return true
        }
    }

    /// Hands every queued block, oldest first, to the caller in `buffer` (what it held is discarded); the
    /// queue goes on in `buffer`'s former storage.
    package func take(into buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: true)
        queue.withLock { swap(&$0, &buffer) }
    }

    /// Forgets every queued block; returns how many bytes they were.
    func discardQueued() -> Int {
        queue.withLock { queued in
            defer { queued.removeAll(keepingCapacity: true) }
            return queued.count
        }
    }
}
