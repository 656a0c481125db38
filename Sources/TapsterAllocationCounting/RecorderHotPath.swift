import Foundation
import TapsterAgent

/// Capture → recorder: frames handed to a flight recorder's ``RecorderSink`` as its capture loop hands them over
/// (a flush after every round of 128): each copied into a 1 MiB ring that turns over many times (the oldest pushed
/// out), and to one capture looking back through the recorder (its BPF run in userspace, EPBs into its upload
/// queue, taken every 8 rounds as the uploader takes it).
public final class RecorderHotPath: HotPath {
    public let name: String
    private let sink: RecorderSink
    private let upload: CaptureUpload
    private let recorder: CaptureSession
    private var clock = CapturedFrame.firstTimestamp
    private var taken: [UInt8] = []
    /// Bytes taken from the look-back's queue, so that the taking cannot be optimised away.
    public private(set) var bytesTaken = 0

    static let roundsPerTake = 8

    public init(expression: String = "udp or tcp", lookBack: Bool = true) throws(HotPathError) {
        name = lookBack ? "capture → recorder ring (1 MiB, evicting) and a look-back capture (BPF, stream sink)"
            : "capture → recorder ring (1 MiB, evicting)"
        // A window far longer than the bench's packets' time: the ring turns over by its bytes alone.
        sink = RecorderSink(capacity: 1 << 20, windowNanoseconds: UInt64.max / 2)
        let source = CaptureSource(workload: "web", namespace: .host, interface: "eth0")
        // Never started: it stands for the recorder's capture, whose counters the look-back reads.
        recorder = CaptureSession(plan: CapturePlan(tapID: "recorder/bench", source: source, deadline: .distantFuture),
                                  sink: StreamSinkless())
        upload = CaptureUpload(captureID: "bench", tapID: "bench", interfaces: [])
        do {
            let stream = try StreamSink(upload: upload, interfaceIndex: 0, snaplen: 262_144)
            let plan = CapturePlan(tapID: "bench", source: source, bpf: expression, deadline: .distantFuture)
            let consumer = try LookBackConsumer(capture: LookBackCapture(plan: plan, recorder: recorder), since: 0, sink: stream, budget: nil)
            if lookBack { sink.attach(consumer) }
        } catch {
            throw HotPathError(path: name, reason: "\(error)")
        }
        _ = sink.flush()
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

    private func take() {
        upload.take(into: &taken)
        bytesTaken += taken.count
    }
}

/// The sink of the recorder's stand-in capture, which never runs.
private final class StreamSinkless: PacketSink {
    func accept(_ bytes: UnsafeRawBufferPointer, originalLength: Int, timestampNanoseconds: UInt64) {}
    func flush() -> Int { 0 }
    func close() {}
}
