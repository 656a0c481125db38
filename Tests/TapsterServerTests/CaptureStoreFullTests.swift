import Foundation
import TapsterCore
import TapsterObjectStore
@testable import TapsterServer
import TapsterSystemTestSupport
import Testing

/// The capture broker at its limits: a disk that fills up under a stored capture (a real 1 MiB tmpfs,
/// so the kernel answers ENOSPC), a capture store nearly full, and the server-wide bound on what all
/// captures hold in memory.
@Suite(.serialized) struct CaptureStoreFullTests {
    /// A 1 MiB tmpfs mounted for the test, unmounted (and its mount point removed) afterwards.
    static func withSmallFilesystem(_ body: (URL) async throws -> Void) async throws {
        let scratch = try ScratchDirectory(label: "small-fs")
        defer { scratch.remove() }
        _ = try ProcessRunner.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tapster-test", scratch.path])
        // Lazily: a file the code under test failed to close must not keep the mount.
        defer { _ = try? ProcessRunner.run(["umount", "-l", scratch.path], allowFailure: true) }
        try await body(scratch.url)
    }

    /// Regular files under `directory`, recursively.
    static func files(under directory: URL) -> [String] {
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        return (enumerator?.allObjects as? [URL] ?? []).filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }.map(\.path)
    }

    /// Sends `count` packets of 1,000 bytes for capture `id` from node-1, 100 per batch.
    static func send(_ rig: CaptureBrokerTests.Rig, _ id: String, count: Int, last: Bool = true) async throws {
        var agent = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-1/eth0")])
        let t = rig.nanos
        for start in stride(from: 0, to: count, by: 100) {
            let packets = (start..<min(count, start + 100)).map {
                (interface: UInt32(0), timestamp: t + UInt64($0) * 1000, frame: SyntheticAgent.frame(host: 1, number: UInt32($0), size: 1_000))
            }
            await rig.broker.ingest(agent: "node-1", batch: try agent.batch(packets))
        }
        if last { await rig.broker.ingest(agent: "node-1", batch: try agent.batch([], last: true)) }
    }

    @Test("a stored capture that fills the store's disk fails with the reason, leaves no partial object, and the next capture is stored")
    func diskFullFailsTheCapture() async throws {
        try await Self.withSmallFilesystem { mount in
            let store = FilesystemObjectStore(root: mount.appendingPathComponent("captures"))
            let rig = CaptureBrokerTests.Rig(objectStore: store)
            let big = await rig.start(mode: .store, objectKey: "shop/big.pcapng")
            try await Self.send(rig, big, count: 2_000, last: false)  // 2 MB into a 1 MiB filesystem
            let failed = try await eventually(timeout: .seconds(60), "the upload to fail") { () -> TestRecorder.Finished? in
                await rig.broker.tick()  // packets leave the merge once the reorder window has passed
                return await rig.recorder.finishedCalls.first
            }
            #expect(failed.id == big && failed.stored == nil)
            #expect(failed.failure?.contains("No space left on device") == true, "\(failed.failure ?? "")")
            #expect(await rig.recorder.endedReasons == [.failed], "its tap is stopped")
            #expect(await rig.broker.runningCaptures.isEmpty)
            #expect(Self.files(under: mount).isEmpty, "the partial upload was removed: \(Self.files(under: mount))")

            let small = await rig.start(mode: .store, objectKey: "shop/small.pcapng")
            try await Self.send(rig, small, count: 100)
            rig.clock.advance(by: 3)
            await rig.broker.tick()
            let stored = try await eventually(timeout: .seconds(60), "the second capture to be stored") { () -> TestRecorder.Finished? in
                await rig.broker.tick()
                return await rig.recorder.finishedCalls.first { $0.id == small }
            }
            #expect(stored.failure == nil && stored.stored?.key == "shop/small.pcapng")
            #expect(try await store.head(key: "shop/small.pcapng")?.size == stored.stored?.size)
        }
    }

    @Test("a stored capture is refused when the store's filesystem has less free than the floor; a streamed one is not")
    func nearlyFullStoreRefusesStoredCaptures() async throws {
        try await Self.withSmallFilesystem { mount in
            try Data(count: 700 << 10).write(to: mount.appendingPathComponent("filler"))
            let rig = CaptureBrokerTests.Rig(objectStore: FilesystemObjectStore(root: mount.appendingPathComponent("captures")),
                                             storeFreeSpaceFloor: 512 << 10)
            let refusal = await #expect(throws: TapsterError.self) { try await rig.broker.admit(.store) }
            #expect(refusal?.code == .unavailable)
            #expect(refusal?.message.hasPrefix("the capture store's filesystem has only ") == true, "\(refusal?.message ?? "")")
            try await rig.broker.admit(.stream)
        }
    }

    @Test("a capture that would take all captures' buffers past the server-wide bound is refused until one ends")
    func serverWideBufferBound() async throws {
        let rig = CaptureBrokerTests.Rig(budget: 64 << 10, totalBudget: 128 << 10)
        let first = await rig.start()
        _ = await rig.start()
        let refusal = await #expect(throws: TapsterError.self) { try await rig.broker.admit(.stream) }
        #expect(refusal?.code == .unavailable)
        #expect(refusal?.message.hasPrefix("the server runs 2 captures, holding up to ") == true, "\(refusal?.message ?? "")")
        await rig.broker.shutDown(first)
        try await rig.broker.admit(.stream)
    }
}
