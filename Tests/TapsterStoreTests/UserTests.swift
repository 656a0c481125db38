import Foundation
import TapsterCore
import TapsterStore
import TapsterTestSupport
import Testing

/// Users and their password hashes.
@Suite struct UserTests {
    @Test(arguments: StoreKind.available)
    func insertedUserIsFoundByIdAndByName(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let alice = Fixtures.user("alice")
            try await db.store.insertUser(alice, passwordHash: "$2b$12$hash")
            #expect(try await db.store.findUser(alice.id) == alice)
            #expect(try await db.store.findUser("alice") == alice)
            #expect(try await db.store.findUser("bob") == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func duplicateUserNameIsAlreadyExists(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            try await db.store.insertUser(Fixtures.user("alice"), passwordHash: nil)
            let error = await #expect(throws: TapsterError.self) {
                try await db.store.insertUser(Fixtures.user("alice"), passwordHash: nil)
            }
            #expect(error == TapsterError(.alreadyExists, "user \"alice\" already exists"))
        }
    }

    @Test(arguments: StoreKind.available)
    func listUsersIsOrderedByName(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            for name in ["carol", "alice", "bob"] {
                try await db.store.insertUser(Fixtures.user(name), passwordHash: nil)
            }
            #expect(try await db.store.listUsers().map(\.name) == ["alice", "bob", "carol"])
        }
    }

    @Test(arguments: StoreKind.available)
    func updateUserReplacesItAndReportsWhetherItExisted(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            var alice = Fixtures.user("alice")
            try await db.store.insertUser(alice, passwordHash: "h1")
            alice.spec.quota = 3
            alice.spec.tenants = ["blue", "red"]
            alice.recordMemberships(at: Fixtures.at(5))
            alice.updatedAt = Fixtures.at(5)
            #expect(try await db.store.updateUser(alice) == true)
            #expect(try await db.store.findUser("alice") == alice)
            #expect(try await db.store.credentials(userName: "alice")?.passwordHash == "h1")
            #expect(try await db.store.updateUser(Fixtures.user("ghost")) == false)
        }
    }

    @Test(arguments: StoreKind.available)
    func credentialsCarryTheUserAndItsPasswordHash(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let alice = Fixtures.user("alice")
            try await db.store.insertUser(alice, passwordHash: "$2b$12$hash")
            try await db.store.insertUser(Fixtures.user("bob"), passwordHash: nil)
            let credentials = try await db.store.credentials(userName: "alice")
            #expect(credentials?.user == alice)
            #expect(credentials?.passwordHash == "$2b$12$hash")
            #expect(try await db.store.credentials(userName: "bob")?.passwordHash == nil)
            #expect(try await db.store.credentials(userName: "nobody") == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func setPasswordStoresTheHashAndTheMustChangeFlag(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let alice = Fixtures.user("alice")
            try await db.store.insertUser(alice, passwordHash: nil)
            try await db.store.setPassword(userID: alice.id, hash: "new-hash", mustChange: true)
            let credentials = try await db.store.credentials(userName: "alice")
            #expect(credentials?.passwordHash == "new-hash")
            #expect(credentials?.user.mustChangePassword == true)
            try await db.store.setPassword(userID: alice.id, hash: "newer-hash", mustChange: false)
            #expect(try await db.store.findUser("alice")?.mustChangePassword == false)
        }
    }

    @Test(arguments: StoreKind.available)
    func setPasswordOfAnUnknownUserIsNotFound(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let error = await #expect(throws: TapsterError.self) {
                try await db.store.setPassword(userID: "missing", hash: "h", mustChange: false)
            }
            #expect(error == TapsterError.notFound("user", "missing"))
        }
    }

    @Test(arguments: StoreKind.available)
    func deleteUserRemovesItAndReportsWhetherItExisted(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let alice = Fixtures.user("alice")
            try await db.store.insertUser(alice, passwordHash: nil)
            #expect(try await db.store.deleteUser(id: alice.id) == true)
            #expect(try await db.store.findUser(alice.id) == nil)
            #expect(try await db.store.deleteUser(id: alice.id) == false)
        }
    }
}
