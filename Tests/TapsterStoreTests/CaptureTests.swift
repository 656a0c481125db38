import Foundation
import TapsterCore
import TapsterStore
import TapsterTestSupport
import Testing

/// Captures: insert, compare-and-set, scoped listing, what retention must delete.
@Suite struct CaptureTests {
    static func capture(owner: String = "alice", tenant: String? = "blue", mode: CaptureMode = .store, createdAt: Date = Fixtures.start,
                        expiresIn seconds: Int? = 7 * 86_400) -> Capture {
        let id = Identifier.make()
        var capture = Capture(id: id, tenant: tenant, owner: owner, ownerID: "id-\(owner)", filter: "web", target: "archive", mode: mode, createdAt: createdAt,
                              deadline: createdAt.addingTimeInterval(600), objectKey: mode == .store ? "\(tenant ?? "_")/\(id).pcapng" : nil,
                              expiresAt: seconds.map { createdAt.addingTimeInterval(TimeInterval($0)) })
        capture.readers = []  // as every read fills them in (kept apart from the record)
        return capture
    }

    @Test(arguments: StoreKind.available)
    func insertedCaptureIsFoundWithEveryField(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            var capture = Self.capture()
            capture.interfaces = [CaptureInterfaceStatistics(name: "node-1/web-1/eth0", agent: "node-1", received: 10, packets: 8,
                                                             kernelDrops: 1, agentDrops: 0, serverDrops: 1)]
            capture.packets = 8
            capture.drops = 2
            try await db.store.insertCapture(capture)
            #expect(try await db.store.findCapture(id: capture.id) == capture)
            #expect(try await db.store.findCapture(id: Identifier.make()) == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func updateWithExpectedStateIsCompareAndSet(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let capture = Self.capture()
            try await db.store.insertCapture(capture)
            var complete = capture
            complete.state = .complete
            complete.size = 4096
            #expect(try await db.store.updateCapture(complete, ifStateIs: .live) == true)
            var failed = capture
            failed.state = .failed
            #expect(try await db.store.updateCapture(failed, ifStateIs: .live) == false)
            #expect(try await db.store.findCapture(id: capture.id) == complete)
            var counted = complete
            counted.packets = 5
            #expect(try await db.store.updateCapture(counted, ifStateIs: nil) == true)
            #expect(try await db.store.findCapture(id: capture.id)?.packets == 5)
        }
    }

    @Test(arguments: StoreKind.available)
    func listingIsNewestFirstScopedToTenantsAndTheOwnersOwn(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let blue = Self.capture(owner: "bob", tenant: "blue", createdAt: Fixtures.at(3))
            let red = Self.capture(owner: "carol", tenant: "red", createdAt: Fixtures.at(2))
            let alices = Self.capture(owner: "alice", tenant: nil, createdAt: Fixtures.at(1))
            for capture in [blue, red, alices] { try await db.store.insertCapture(capture) }
            #expect(try await db.store.listCaptures(CaptureQuery()).map(\.id) == [blue.id, red.id, alices.id])
            #expect(try await db.store.listCaptures(CaptureQuery(tenants: ["blue"], ownerID: "id-alice")).map(\.id) == [blue.id, alices.id])
            #expect(try await db.store.listCaptures(CaptureQuery(tenants: [], ownerID: nil)).isEmpty)
            #expect(try await db.store.listCaptures(CaptureQuery(states: [.complete])).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func expiredCapturesAreTheEndedStoredOnesPastTheirExpiry(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            var due = Self.capture(expiresIn: 60)
            due.state = .complete
            var failedWithObject = Self.capture(expiresIn: 30)
            failedWithObject.state = .failed
            var later = Self.capture(expiresIn: 3600)
            later.state = .complete
            let live = Self.capture(expiresIn: 10)
            var streamed = Self.capture(mode: .stream, expiresIn: nil)
            streamed.state = .complete
            var deleted = Self.capture(expiresIn: 5)
            deleted.state = .deleted
            for capture in [due, failedWithObject, later, live, streamed, deleted] { try await db.store.insertCapture(capture) }
            #expect(try await db.store.expiredCaptures(at: Fixtures.at(120)).map(\.id) == [failedWithObject.id, due.id])
            #expect(try await db.store.nextCaptureExpiry() == Fixtures.at(30))
        }
    }

    @Test(arguments: StoreKind.available)
    func aCapturesWarningsAreKeptByInsertAndUpdateAndRead(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            var capture = Self.capture()
            capture.warnings = ["snaplen 300000 is capped to 262144, the payload of target \"archive\""]
            try await db.store.insertCapture(capture)
            #expect(try await db.store.findCapture(id: capture.id) == capture)
            var started = capture
            started.warnings = (capture.warnings ?? []) + ["the look-back of node-1/web-1 starts at 2026-01-01T00:00:10.000Z, when it joined tenant \"blue\": "
                                                           + "what it sent before was not this tenant's"]
            #expect(try await db.store.updateCapture(started, ifStateIs: .live) == true)
            #expect(try await db.store.findCapture(id: capture.id) == started)
            #expect(try await db.store.listCaptures(CaptureQuery()) == [started])
        }
    }

    /// A record the store wrote before captures kept their warnings (its body has no `warnings` key), read after migrating.
    @Test(arguments: StoreKind.available)
    func aCaptureRecordedBeforeWarningsWereKeptReadsAsHavingNone(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let id = Identifier.make(), at = TapsterJSON.formatTime(Fixtures.start), ms = Int64(Fixtures.start.timeIntervalSince1970 * 1000)
            try await db.execute("""
                INSERT INTO captures (id, tenant, owner, owner_id, state, created_at_ms, body)
                VALUES ('\(id)', 'blue', 'alice', 'id-alice', 'complete', \(ms), '{"id":"\(id)","tenant":"blue","owner":"alice","filter":"web",\
                "target":"archive","mode":"store","state":"complete","created_at":"\(at)","deadline":"\(at)","size":4096,"packets":8,"drops":0,\
                "interfaces":[],"object_key":"blue/\(id).pcapng"}')
                """)
            try await db.store.migrate()
            let capture = try #require(try await db.store.findCapture(id: id))
            #expect(capture.warnings == nil)
            #expect(capture.state == .complete && capture.size == 4096 && capture.objectKey == "blue/\(id).pcapng")
            #expect(try await db.store.listCaptures(CaptureQuery()).map(\.warnings) == [nil])
        }
    }
}
