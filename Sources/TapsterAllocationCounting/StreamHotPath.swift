import TapsterAgent

/// Capture → stream sink: frames handed to a ``StreamSink`` as the capture loop hands them over (a flush
/// after every round of 128), written as pcapng Enhanced Packet Blocks and queued on the tap's
/// ``CaptureUpload``; every 8 rounds the queue is taken as the uploader takes it (every 20 ms) and cut into
/// batches. What the uploader then does — a `Data` and a protobuf message per batch of up to 1 MiB, gRPC —
/// is per batch, not per packet, and not counted here.
public final class StreamHotPath: HotPath {
    public let name = "capture → stream sink (EPBs into the upload queue, taken)"
    private let upload: CaptureUpload
    private let sink: StreamSink
    private var clock = CapturedFrame.firstTimestamp
    /// The uploader's buffer, exchanged with the queue on every take.
    private var taken: [UInt8] = []
    /// Bytes taken from the queue, so that the taking cannot be optimised away.
    public private(set) var bytesTaken = 0

    /// Rounds between two takes of the queue.
    static let roundsPerTake = 8

    /// Makes the upload queue and the sink of interface 0.
    public init() throws(HotPathError) {
        upload = CaptureUpload(captureID: "bench", tapID: "bench", interfaces: [])
        do {
            sink = try StreamSink(upload: upload, interfaceIndex: 0, snaplen: 262_144)
        } catch {
            throw HotPathError(path: name, reason: "\(error)")
        }
    }

    deinit { sink.close() }

    public func run(packets: Int) -> Int {
        var rounds = 0
        let delivered = CapturedFrame.capture(packets, into: sink, clock: &clock) {
            rounds += 1
            if rounds % Self.roundsPerTake == 0 { take() }
        }
        take()
        return delivered
    }

    /// Takes the queue into the reused buffer, and walks the pieces the uploader would send as batches.
    private func take() {
        upload.take(into: &taken)
        var pieces = PacketBatchPieces()
        while let piece = pieces.next(in: taken) { bytesTaken += piece.count }
    }
}
