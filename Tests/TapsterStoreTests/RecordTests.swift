import Foundation
import TapsterCore
import TapsterStore
import TapsterTestSupport
import Testing

/// Tenants, targets, filters, grants and workloads.
@Suite struct RecordTests {
    @Test(arguments: StoreKind.available)
    func insertedTargetIsFoundByIdAndByName(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let target = Fixtures.target("tool", tenant: "blue")
            try await db.store.insert(target, into: .targets)
            #expect(try await db.store.find(target.id, in: .targets) == target)
            #expect(try await db.store.find("tool", in: .targets) == target)
            #expect(try await db.store.find("other", in: .targets) == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func everyCollectionRoundTripsItsRecords(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let tenant = Fixtures.tenant("blue")
            let filter = Fixtures.filter("web", tenant: "blue")
            let grant = Fixtures.grant(tenant: "blue", filter: "web", target: "tool")
            let workload = Fixtures.workload("web-1", host: "host-a", tenant: "blue")
            try await db.store.insert(tenant, into: .tenants)
            try await db.store.insert(filter, into: .filters)
            try await db.store.insert(grant, into: .grants)
            try await db.store.insert(workload, into: .workloads)
            #expect(try await db.store.find("blue", in: .tenants) == tenant)
            #expect(try await db.store.find("web", in: .filters) == filter)
            #expect(try await db.store.find(grant.id, in: .grants) == grant)
            #expect(try await db.store.find("host-a/web-1", in: .workloads) == workload)
            #expect(try await db.store.find(workload.id, in: .workloads)?.spec.labels == ["app": "web", "team_name": "blue", "tier": "front"])
        }
    }

    @Test(arguments: StoreKind.available)
    func duplicateNameIsAlreadyExists(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            try await db.store.insert(Fixtures.target("tool"), into: .targets)
            let error = await #expect(throws: TapsterError.self) {
                try await db.store.insert(Fixtures.target("tool"), into: .targets)
            }
            #expect(error == TapsterError(.alreadyExists, "target \"tool\" already exists"))
            #expect(try await db.store.list(.targets, tenants: nil).count == 1)
        }
    }

    @Test(arguments: StoreKind.available)
    func theWorkloadsOfAHostAreItsOwnOnlyNotThoseOfAHostWhoseNameItPrefixes(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let web = Fixtures.workload("web-1", host: "host-a"), db1 = Fixtures.workload("db-1", host: "host-a")
            // Hosts just around `host-a`'s range in byte order: `host-a.` before it, `host-a0` at its end.
            let neighbours = ["host-ab", "host-a0", "host-a.", "host-b"].map { Fixtures.workload("web-1", host: $0) }
            for workload in [web, db1] + neighbours {
                try await db.store.insert(workload, into: .workloads)
            }
            #expect(try await db.store.listWorkloads(onHost: "host-a") == [db1, web])
            #expect(try await db.store.listWorkloads(onHost: "host-c") == [])
        }
    }

    @Test(arguments: StoreKind.available)
    func workloadNamesAreUniquePerHostOnly(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            try await db.store.insert(Fixtures.workload("web-1", host: "host-a"), into: .workloads)
            try await db.store.insert(Fixtures.workload("web-1", host: "host-b"), into: .workloads)
            let error = await #expect(throws: TapsterError.self) {
                try await db.store.insert(Fixtures.workload("web-1", host: "host-a"), into: .workloads)
            }
            #expect(error == TapsterError(.alreadyExists, "workload \"host-a/web-1\" already exists"))
        }
    }

    @Test(arguments: StoreKind.available)
    func grantsWithoutNamesDoNotCollide(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            try await db.store.insert(Fixtures.grant(tenant: "blue", filter: "web", target: "tool"), into: .grants)
            try await db.store.insert(Fixtures.grant(tenant: "red", filter: "web", target: "tool"), into: .grants)
            #expect(try await db.store.list(.grants, tenants: nil).count == 2)
        }
    }

    @Test(arguments: StoreKind.available)
    func updateReplacesTheRecordAndReportsWhetherItExisted(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            var target = Fixtures.target("tool")
            try await db.store.insert(target, into: .targets)
            target.spec.description = "the recorder"
            target.updatedAt = Fixtures.at(60)
            #expect(try await db.store.update(target, in: .targets) == true)
            #expect(try await db.store.find("tool", in: .targets) == target)
            #expect(try await db.store.update(Fixtures.target("ghost"), in: .targets) == false)
        }
    }

    @Test(arguments: StoreKind.available)
    func updateToATakenNameIsAlreadyExists(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            try await db.store.insert(Fixtures.target("tool"), into: .targets)
            var other = Fixtures.target("other")
            try await db.store.insert(other, into: .targets)
            other.spec.name = "tool"
            let error = await #expect(throws: TapsterError.self) { try await db.store.update(other, in: .targets) }
            #expect(error == TapsterError(.alreadyExists, "target \"tool\" already exists"))
        }
    }

    @Test(arguments: StoreKind.available)
    func deleteRemovesTheRecordAndReportsWhetherItExisted(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let target = Fixtures.target("tool")
            try await db.store.insert(target, into: .targets)
            #expect(try await db.store.delete(id: target.id, from: .targets) == true)
            #expect(try await db.store.find(target.id, in: .targets) == nil)
            #expect(try await db.store.delete(id: target.id, from: .targets) == false)
        }
    }

    @Test(arguments: StoreKind.available)
    func listIsOrderedByNameInByteOrder(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            for name in ["b-tool", "a.tool", "ab", "a-z", "a_tool"] {
                try await db.store.insert(Fixtures.target(name), into: .targets)
            }
            let names = try await db.store.list(.targets, tenants: nil).map(\.spec.name)
            #expect(names == ["a-z", "a.tool", "a_tool", "ab", "b-tool"])
        }
    }

    @Test(arguments: StoreKind.available)
    func listNarrowedToTenantsLeavesOutOtherAndUntenantedRecords(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            try await db.store.insert(Fixtures.target("blue-tool", tenant: "blue"), into: .targets)
            try await db.store.insert(Fixtures.target("red-tool", tenant: "red"), into: .targets)
            try await db.store.insert(Fixtures.target("green-tool", tenant: "green"), into: .targets)
            try await db.store.insert(Fixtures.target("shared-tool"), into: .targets)
            #expect(try await db.store.list(.targets, tenants: ["blue", "red"]).map(\.spec.name) == ["blue-tool", "red-tool"])
            #expect(try await db.store.list(.targets, tenants: []).isEmpty)
            #expect(try await db.store.list(.targets, tenants: nil).count == 4)
        }
    }
}
