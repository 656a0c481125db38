import Foundation
import TapsterCore
import TapsterStore
import TapsterTestSupport
import Testing

/// Appends from many tasks at once, and from two stores (replicas) on one database.
@Suite struct ConcurrencyTests {
    @Test(arguments: StoreKind.available)
    func fiftyConcurrentAppendsMakeSequencesOneToFiftyAndAValidChain(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let store = db.store
            let sequences = try await withThrowingTaskGroup(of: Int64.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        try await store.appendAudit(Fixtures.entry("tap.created", objectId: "t\(index)"), at: Fixtures.at(index)).sequence
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0.append($1) }
            }
            #expect(sequences.sorted() == Array(1...50))
            #expect(try await store.verifyAudit() == AuditVerification(valid: true, checked: 50, firstBrokenSequence: nil, reason: nil))
        }
    }

    @Test(arguments: StoreKind.available)
    func twoStoresOnOneDatabaseAppendWithoutGaps(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let replica = try await SQLStore.open(try DatabaseConfiguration(parsing: db.databaseURL), logger: TestDatabase.quietLogger,
                                                  connectionWaitLimit: TestDatabase.connectionWaitLimit)
            do {
                let stores = [db.store, replica]
                let sequences = try await withThrowingTaskGroup(of: Int64.self) { group in
                    for index in 0..<40 {
                        let store = stores[index % 2]
                        group.addTask { try await store.appendAudit(Fixtures.entry("tap.created"), at: Fixtures.at(index)).sequence }
                    }
                    return try await group.reduce(into: [Int64]()) { $0.append($1) }
                }
                #expect(sequences.sorted() == Array(1...40))
                #expect(try await replica.verifyAudit().valid == true)
            } catch {
                try? await replica.shutdown()
                throw error
            }
            try await replica.shutdown()
        }
    }
}
