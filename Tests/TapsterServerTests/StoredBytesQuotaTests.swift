import Foundation
import HTTPTypes
import TapsterAPI
import TapsterCore
import TapsterObjectStore
@testable import TapsterServer
import TapsterSystemTestSupport
import TapsterTestSupport
import Testing

/// A tenant's stored-bytes quota, on every store: stored captures are refused when it is used up, a running
/// one reserves what was left, and one that reaches its allowance ends `stored_bytes_quota` within it.
@Suite struct StoredBytesQuotaTests {
    typealias Rig = CaptureAPITests.Rig

    /// Sets tenant shop's quota as an admin.
    static func setQuota(_ rig: Rig, _ change: TenantPatch.QuotaChange) async throws -> Tenant {
        try await rig.api.expect(Tenant.self, .patch, "/api/v1/tenants/shop", token: rig.fixture.admin,
                                 json: TenantPatch(storedBytesQuota: change))
    }

    /// Sends `count` packets of 1,000 bytes from node-1 for capture `id`, then its last batch.
    static func send(_ rig: Rig, _ id: String, count: Int) async throws {
        var agent = SyntheticAgent(host: "node-1", captureID: id, interfaces: [.init(index: 0, name: "node-1/web-1/eth0")])
        let t0 = rig.clock.now.unixNanoseconds
        let packets = (0..<count).map {
            (interface: UInt32(0), timestamp: t0 + UInt64($0) * 1_000, frame: SyntheticAgent.frame(host: 1, number: UInt32($0), size: 1_000))
        }
        await rig.controlPlane.broker.ingest(agent: "node-1", batch: try agent.batch(packets))
        await rig.controlPlane.broker.ingest(agent: "node-1", batch: try agent.batch([], last: true))
    }

    @Test(arguments: StoreKind.available)
    func aStoredCaptureIsRefusedWithQuotaExceededWhenTheTenantHasNoRoomLeft(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            _ = try await Self.setQuota(rig, .set(CaptureService.storedBytesFraming))
            let (status, error) = try await rig.api.failure(.post, "/api/v1/captures", token: rig.fixture.alice, json: CaptureRequest(store: true))
            #expect(status == 409 && error.code == .quotaExceeded)
            #expect(error.message == "tenant shop holds 0B of stored captures, its quota is 64KiB; delete stored captures "
                    + "(tapster capture delete) or ask an admin to raise it")
            #expect(try await rig.api.expect(ItemList<Capture>.self, .get, "/api/v1/captures", token: rig.fixture.admin).items.isEmpty,
                    "nothing was opened")
        }
    }

    @Test(arguments: StoreKind.available)
    func aRunningStoredCaptureReservesWhatWasLeftSoTheNextIsRefused(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            _ = try await Self.setQuota(rig, .set(1 << 20))
            let first = try await rig.create(CaptureRequest(store: true)).capture
            #expect(first.storedBytesAllowance == (1 << 20) - CaptureService.storedBytesFraming)
            let (status, error) = try await rig.api.failure(.post, "/api/v1/captures", token: rig.fixture.alice, json: CaptureRequest(store: true))
            #expect(status == 409 && error.code == .quotaExceeded, "\(error)")
            #expect(try await rig.create(CaptureRequest(duration: TapDuration(seconds: 60))).capture.storedBytesAllowance == nil,
                    "a streamed capture is not bounded by the stored-bytes quota")
        }
    }

    @Test(arguments: StoreKind.available)
    func aStoredCaptureEndsWithStoredBytesQuotaWithinItsAllowance(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            let quota = CaptureService.storedBytesFraming + 10_000
            _ = try await Self.setQuota(rig, .set(quota))
            let id = try await rig.create(CaptureRequest(store: true)).capture.id
            try await Self.send(rig, id, count: 100)
            let capture = try await eventually("the stored capture to complete") { () -> Capture? in
                let capture = try await rig.capture(id)
                return capture.state == .complete ? capture : nil
            }
            #expect(capture.endReason == .storedBytesQuota)
            #expect(capture.packets == 10_000 / UInt64(1_000 + CaptureMerge.blockOverhead), "the packets whose blocks fit the allowance")
            #expect(UInt64(capture.size) <= quota, "\(capture.size) bytes stored under a quota of \(quota)")
            let stored = try await rig.objectStore.head(key: try #require(capture.objectKey))
            #expect(stored?.size == capture.size, "the record's size is the stored object's")
        }
    }

    @Test(arguments: StoreKind.available)
    func aNullQuotaRemovesTheBoundAndStoredCapturesAreAdmittedAgain(kind: StoreKind) async throws {
        try await Rig.run(kind) { rig in
            #expect(try await Self.setQuota(rig, .set(0)).spec.storedBytesQuota == 0)
            let cleared = try await Self.setQuota(rig, .remove)
            #expect(cleared.spec.storedBytesQuota == nil)
            let raw = try await rig.api.call(.get, "/api/v1/tenants/shop", token: rig.fixture.admin)
            #expect(!String(decoding: raw.body, as: UTF8.self).contains("stored_bytes_quota"))
            #expect(try await rig.create(CaptureRequest(store: true)).capture.storedBytesAllowance == nil)
        }
    }
}
