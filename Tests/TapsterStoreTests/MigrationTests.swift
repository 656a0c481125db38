import Foundation
import TapsterCore
import TapsterStore
import TapsterTestSupport
import Testing

/// Schema migrations.
@Suite struct MigrationTests {
    @Test(arguments: StoreKind.available)
    func migrateIsIdempotentAndKeepsData(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            try await db.store.insert(Fixtures.target("tool"), into: .targets)
            try await db.store.migrate()
            try await db.store.migrate()
            #expect(try await db.store.appliedMigrations() == Array(1...17))
            #expect(try await db.store.list(.targets, tenants: nil).map(\.spec.name) == ["tool"])
            #expect(try await db.integer("SELECT COUNT(*) FROM audit_head") == 1)
        }
    }
}
