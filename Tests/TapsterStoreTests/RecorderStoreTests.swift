import Foundation
import TapsterCore
import TapsterStore
import TapsterTestSupport
import Testing

/// Flight recorders, stored on SQLite and PostgreSQL (migration 16).
@Suite struct RecorderStoreTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func recorder(_ name: String, filter: String = "web") -> Recorder {
        Recorder(createdAt: start, spec: RecorderSpec(name: name, filter: filter, window: TapDuration(seconds: 30), maxBytes: 64 << 20))
    }

    @Test("a recorder is stored whole, found by id and by name, listed by name, and deleted", arguments: StoreKind.available)
    func aRecorderRoundTrips(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let web = Self.recorder("web-recorder"), db2 = Self.recorder("db-recorder", filter: "db")
            try await db.store.insert(web, into: .recorders)
            try await db.store.insert(db2, into: .recorders)
            #expect(try await db.store.find(web.id, in: .recorders) == web)
            #expect(try await db.store.find("web-recorder", in: .recorders) == web)
            #expect(try await db.store.list(.recorders, tenants: nil) == [db2, web])
            #expect(try await db.store.delete(id: web.id, from: .recorders))
            #expect(try await db.store.list(.recorders, tenants: nil) == [db2])
        }
    }

    @Test("a second recorder of the same name is already_exists", arguments: StoreKind.available)
    func aSecondRecorderOfTheSameNameIsRefused(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            try await db.store.insert(Self.recorder("web-recorder"), into: .recorders)
            let error = await #expect(throws: TapsterError.self) {
                try await db.store.insert(Self.recorder("web-recorder", filter: "db"), into: .recorders)
            }
            #expect(error?.code == .alreadyExists)
        }
    }
}
