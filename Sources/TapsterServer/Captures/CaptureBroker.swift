import Foundation
import Logging
import NIOCore
import TapsterCore
import TapsterObjectStore
import TapsterWire

/// What the broker needs to start a capture.
struct CaptureStart: Sendable {
    var id: String
    var mode: CaptureMode
    var deadline: Date
    var packetLimit: UInt64?
    var byteLimit: UInt64?
    /// For a stored capture: where, and its tags (owner, tenant, tap).
    var objectKey: String?
    var tags: [String: String] = [:]
    /// The agents expected to send (the hosts of the workloads the capture selected when it began): once
    /// each has opened its stream, packets stop waiting out the whole reorder window.
    var expectedAgents: Set<String> = []
    /// The most bytes kept of each packet: the target's payload (or the owner's smaller `-s`). The
    /// server cuts packets to it whatever an agent sent; nil: no cut.
    var snapLength: UInt32?
    /// For a stored capture under its tenant's stored-bytes quota: the most pcapng bytes its packets may
    /// take (``Capture/storedBytesAllowance``); it ends `stored_bytes_quota` there. nil: no bound.
    var storedBytesAllowance: UInt64?
}

/// The server's capture broker: receives agents' packet batches for `stream` and `store` taps, merges
/// each capture's batches from every host into one pcapng (``CaptureSession``), and hands it to its
/// reader — the owner's HTTP stream, or the capture store.
///
/// The agent hub's `SendPackets` handler calls ``ingest(agent:batch:)`` for every batch; the capture
/// service calls ``begin(_:)`` when a capture is created here (this replica then runs it: its reader
/// attaches here, and agents send its packets here). The broker follows the change feed
/// (``follow(_:taps:)``) to end a capture when its tap stops or expires, on whichever replica that
/// happened. What the broker decides by itself (a limit reached, the reader gone, the pcapng complete)
/// it tells the connected ``CaptureRecorder``: those are writes the capture's record needs, awaited in
/// order, not changes anyone else must learn of first.
public actor CaptureBroker {
    let settings: CaptureSettings
    private let clock: @Sendable () -> Date
    let logger: Logger
    private var sessions: [String: CaptureSession] = [:]
    /// Per capture read live, the id of the user reading it.
    private var readerUsers: [String: String] = [:]
    private var uploads: [String: Task<Void, Never>] = [:]
    private(set) var recorder: (any CaptureRecorder)?
    /// Stored captures of this replica waiting for their tap's approval: the change feed's news of their taps goes to
    /// the recorder (``follow(_:taps:)``).
    private(set) var awaitingApproval: Set<String> = []
    private var finishWaiters: [String: [CheckedContinuation<Void, Never>]] = [:]
    /// Batches for captures this server does not run (ended, or begun elsewhere), ignored.
    public private(set) var unknownBatches: UInt64 = 0

    init(settings: CaptureSettings, clock: @escaping @Sendable () -> Date, logger: Logger) {
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    private var now: UInt64 { clock().unixNanoseconds }

    /// Connects what the broker reports to (the control plane, while the server runs).
    func connect(_ recorder: (any CaptureRecorder)?) {
        self.recorder = recorder
    }

    // MARK: The seam with the agent hub

    /// Takes one batch an agent sent for a capture (`capture_id`, or `tap_id` when empty). Batches of
    /// captures this server does not run are counted and ignored.
    public func ingest(agent: String, batch: Tapster_Agent_V1_PacketBatch) async {
        let id = batch.captureID.isEmpty ? batch.tapID : batch.captureID
        guard let session = sessions[id] else {
            unknownBatches &+= 1
            return
        }
        await apply(await session.ingest(agent: agent, batch, now: now), of: session)
    }

    // MARK: The seam with the control plane

    /// Whether one more capture of `mode` may start: its buffer must fit in what all captures may hold
    /// together (``CaptureSettings/totalBufferBudget``), and a stored one needs room in a filesystem store
    /// (``CaptureSettings/storeFreeSpaceFloor``). Throws `unavailable` saying which.
    func admit(_ mode: CaptureMode) async throws(TapsterError) {
        let held = sessions.count * settings.bufferBudget, total = settings.effectiveTotalBufferBudget
        guard held + settings.bufferBudget <= total else {
            throw TapsterError(.unavailable, "the server runs \(sessions.count) captures, holding up to \(Self.bytes(held)) of the "
                               + "\(Self.bytes(total)) all captures may hold together; try again when one has ended")
        }
        if mode == .store, let store = settings.objectStore as? FilesystemObjectStore, let free = await store.availableBytes(),
           free < settings.storeFreeSpaceFloor {
            throw TapsterError(.unavailable, "the capture store's filesystem has only \(Self.bytes(free)) free, less than the "
                               + "\(Self.bytes(settings.storeFreeSpaceFloor)) kept free; stored captures are refused until space is freed")
        }
    }

    private static func bytes(_ count: some BinaryInteger) -> String {
        ByteCount(bytes: UInt64(max(0, Int64(clamping: count)))).description
    }

    /// Starts a capture; a stored one starts uploading at once.
    func begin(_ start: CaptureStart) {
        let now = self.now
        let merge = CaptureMerge(budget: settings.bufferBudget, packetLimit: start.packetLimit, byteLimit: start.byteLimit,
                                 reorderWindow: settings.reorderWindow.nanoseconds, startTime: now,
                                 expectedAgents: start.expectedAgents, snapLength: start.snapLength,
                                 storedBytesAllowance: start.storedBytesAllowance)
        let session = CaptureSession(
            id: start.id, mode: start.mode, deadline: start.deadline.unixNanoseconds, merge: merge,
            timing: .init(readerGrace: settings.readerGrace.nanoseconds, drainGrace: settings.drainGrace.nanoseconds,
                          rejoinGrace: settings.rejoinGrace.nanoseconds, progressInterval: settings.progressInterval.nanoseconds),
            now: now)
        sessions[start.id] = session
        if start.mode == .store, let store = settings.objectStore, let key = start.objectKey {
            uploads[start.id] = Task { await self.upload(session, to: store, key: key, tags: start.tags) }
        }
    }

    /// Capture `id` waits here for its tap's approval: it begins (``begin(_:)``) once approved.
    func awaitApproval(_ id: String) {
        awaitingApproval.insert(id)
    }

    /// Capture `id` no longer waits: it began, or ended without starting.
    func approvalSettled(_ id: String) {
        awaitingApproval.remove(id)
    }

    /// The capture's tap stopped or expired: the capture ends once agents' last batches are in.
    func tapEnded(_ id: String, reason: CaptureEndReason) async {
        guard let session = sessions[id] else { return }
        await apply(await session.end(reason, now: now), of: session)
    }

    /// The server is shutting down: every capture ends now (its pcapng closed with its statistics, its
    /// tap stopped), and stored ones finish their upload (each waited for at most `timeout`).
    func shutDown(timeout: Duration = .seconds(10)) async {
        for id in sessions.keys.sorted() { await shutDown(id) }
        for id in sessions.keys.sorted() { await waitUntilFinished(id, timeout: timeout) }
    }

    /// The server is shutting down: this capture ends now.
    func shutDown(_ id: String) async {
        guard let session = sessions[id] else { return }
        await apply(await session.end(.serverShutdown, now: now, stopsTap: true), of: session)
    }

    /// Becomes the one reader of a streamed capture; `userID` is whose right to its packets
    /// ``attachedReaders`` lets the control plane keep checking.
    func reader(for id: String, userID: String? = nil) async throws(TapsterError) -> CaptureReader {
        guard let session = sessions[id] else {
            throw TapsterError(.invalidState, "capture \(id) is not running on this server; it has ended")
        }
        guard session.mode == .stream else {
            throw TapsterError(.invalidState, "capture \(id) is stored, not streamed; download it when it is complete")
        }
        try await session.attachReader()
        if let userID { readerUsers[id] = userID }
        return CaptureReader(session: session, broker: self)
    }

    /// The captures being read live here, with the id of the user reading each.
    var attachedReaders: [(captureID: String, userID: String)] {
        readerUsers.sorted { $0.key < $1.key }.map { (captureID: $0.key, userID: $0.value) }
    }

    /// The reader of capture `id` may no longer read its packets: its stream is cut, and the capture ends
    /// `reader_revoked` (its one reader has received part of the pcapng, so no one else can take it over).
    func readerRevoked(_ id: String) async {
        guard let session = sessions[id] else { return }
        readerUsers[id] = nil
        await apply(await session.readerGone(now: now, because: .readerRevoked), of: session)
    }

    /// The reader of `session` went away before the end: the capture stops (`client_gone`).
    func readerGone(_ session: CaptureSession) async {
        await apply(await session.readerGone(now: now), of: session)
    }

    /// Waits until the capture is finished and recorded (at most `timeout`); returns at once when it is
    /// not running here.
    func waitUntilFinished(_ id: String, timeout: Duration) async {
        guard sessions[id] != nil else { return }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.releaseWaiters(id)
        }
        await withCheckedContinuation { finishWaiters[id, default: []].append($0) }
        timer.cancel()
    }

    /// The session of a running capture (tests).
    func session(_ id: String) -> CaptureSession? { sessions[id] }

    /// Ids of the captures running here.
    var runningCaptures: [String] { sessions.keys.sorted() }

    /// Whether capture `id` runs here.
    func runs(_ id: String) -> Bool { sessions[id] != nil }

    // MARK: Running

    /// Flushes quiet captures and checks deadlines, readers and drains every tick, until cancelled.
    func run() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: settings.tickInterval) } catch { break }
            await tick()
        }
    }

    /// One tick over every running capture.
    func tick() async {
        let now = self.now
        for session in sessions.values {
            await apply(await session.tick(now: now), of: session)
        }
    }

    // MARK: Parts

    private func apply(_ effects: [CaptureEffect], of session: CaptureSession) async {
        for effect in effects {
            switch effect {
            case .progress(let summary):
                await recorder?.progress(session.id, summary)
            case .ended(let reason):
                await recorder?.ended(session.id, reason: reason)
            case .finished(let summary):
                if session.mode == .stream || uploads[session.id] == nil {
                    await recorder?.finished(session.id, summary, stored: nil,
                                             failure: session.mode == .store ? "this server has no capture store" : nil)
                    await session.close()
                    remove(session.id)
                } else {
                    await session.close()
                }
            }
        }
    }

    /// Streams a stored capture's pcapng into the object store; records the outcome.
    private func upload(_ session: CaptureSession, to store: any ObjectStore, key: String, tags: [String: String]) async {
        do {
            try await session.attachReader()
            let stored = try await store.upload(key: key, tags: tags, contentType: "application/x-pcapng",
                                                body: CaptureByteStream(session: session))
            await recorder?.finished(session.id, await session.summary(at: clock()), stored: stored, failure: nil)
        } catch {
            logger.error("storing a capture failed", metadata: ["capture": "\(session.id)", "key": "\(key)", "error": "\(error)"])
            let effects = await session.readerGone(now: now, because: .failed)
            for case .ended(let reason) in effects { await recorder?.ended(session.id, reason: reason) }
            await recorder?.finished(session.id, await session.summary(at: clock()), stored: nil,
                                     failure: "storing the capture failed: \(error)")
            await session.close()
        }
        remove(session.id)
    }

    private func remove(_ id: String) {
        sessions[id] = nil
        readerUsers[id] = nil
        uploads[id] = nil
        releaseWaiters(id)
    }

    private func releaseWaiters(_ id: String) {
        for waiter in finishWaiters.removeValue(forKey: id) ?? [] { waiter.resume() }
    }
}

/// The one reader of a streamed capture: its pcapng, chunk by chunk, to the end.
struct CaptureReader: Sendable {
    let session: CaptureSession
    let broker: CaptureBroker

    /// The capture's bytes as they come; ends with the capture.
    var bytes: CaptureByteStream { CaptureByteStream(session: session) }

    /// The reader went away before the end: the capture stops (`client_gone`). Runs to its end even when
    /// the caller (the request's task) is being cancelled.
    func gone() async {
        let broker = self.broker, session = self.session
        await Task { await broker.readerGone(session) }.value
    }

    /// The server is shutting down: the capture ends now, so its stream ends properly.
    func serverShuttingDown() async {
        let broker = self.broker, id = session.id
        await Task { await broker.shutDown(id) }.value
    }
}

/// A capture's pcapng as an async sequence of chunks, for an HTTP body or an upload.
struct CaptureByteStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    typealias Failure = any Error
    let session: CaptureSession

    func makeAsyncIterator() -> Iterator { Iterator(session: session) }

    struct Iterator: AsyncIteratorProtocol {
        let session: CaptureSession
        mutating func next() async throws -> ByteBuffer? { await session.next() }
    }
}
