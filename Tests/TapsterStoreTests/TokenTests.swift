import Foundation
import TapsterCore
import TapsterStore
import TapsterTestSupport
import Testing

/// API tokens, stored as the hash of their secret.
@Suite struct TokenTests {
    @Test(arguments: StoreKind.available)
    func findTokenBySecretHashReturnsTheTokenAndItsUser(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let alice = Fixtures.user("alice")
            try await db.store.insertUser(alice, passwordHash: nil)
            let token = Fixtures.token("laptop", of: alice)
            try await db.store.insertToken(token, secretHash: "sha256-of-secret")
            let found = try await db.store.findToken(secretHash: "sha256-of-secret")
            #expect(found?.token == token)
            #expect(found?.user == alice)
            #expect(try await db.store.findToken(secretHash: "sha256-of-other") == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func duplicateSecretHashIsAlreadyExists(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let alice = Fixtures.user("alice")
            try await db.store.insertUser(alice, passwordHash: nil)
            try await db.store.insertToken(Fixtures.token("laptop", of: alice), secretHash: "same")
            let error = await #expect(throws: TapsterError.self) {
                try await db.store.insertToken(Fixtures.token("ci", of: alice), secretHash: "same")
            }
            #expect(error == TapsterError(.alreadyExists, "token \"ci\" already exists"))
        }
    }

    @Test(arguments: StoreKind.available)
    func listTokensGivesOneUsersTokensOldestFirst(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let alice = Fixtures.user("alice")
            let bob = Fixtures.user("bob")
            try await db.store.insertUser(alice, passwordHash: nil)
            try await db.store.insertUser(bob, passwordHash: nil)
            let second = Fixtures.token("second", of: alice, createdAt: Fixtures.at(20))
            let first = Fixtures.token("first", of: alice, createdAt: Fixtures.at(10))
            try await db.store.insertToken(second, secretHash: "h2")
            try await db.store.insertToken(first, secretHash: "h1")
            try await db.store.insertToken(Fixtures.token("bobs", of: bob), secretHash: "h3")
            #expect(try await db.store.listTokens(userID: alice.id) == [first, second])
        }
    }

    @Test(arguments: StoreKind.available)
    func deleteTokenNeedsTheOwningUser(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let alice = Fixtures.user("alice")
            let bob = Fixtures.user("bob")
            try await db.store.insertUser(alice, passwordHash: nil)
            try await db.store.insertUser(bob, passwordHash: nil)
            let token = Fixtures.token("laptop", of: alice)
            try await db.store.insertToken(token, secretHash: "h")
            #expect(try await db.store.deleteToken(id: token.id, userID: bob.id) == false)
            #expect(try await db.store.deleteToken(id: token.id, userID: alice.id) == true)
            #expect(try await db.store.listTokens(userID: alice.id).isEmpty)
        }
    }

    @Test(arguments: StoreKind.available)
    func touchTokenRecordsWhenItWasLastUsed(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let alice = Fixtures.user("alice")
            try await db.store.insertUser(alice, passwordHash: nil)
            let token = Fixtures.token("laptop", of: alice)
            try await db.store.insertToken(token, secretHash: "h")
            let used = Date(timeIntervalSince1970: 1_767_225_600.123)
            try await db.store.touchToken(id: token.id, at: used)
            #expect(try await db.store.findToken(secretHash: "h")?.token.lastUsedAt == Date(timeIntervalSince1970: 1_767_225_600.123))
        }
    }

    @Test(arguments: StoreKind.available)
    func deletingAUserDeletesItsTokens(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            let alice = Fixtures.user("alice")
            try await db.store.insertUser(alice, passwordHash: nil)
            try await db.store.insertToken(Fixtures.token("laptop", of: alice), secretHash: "h1")
            try await db.store.insertToken(Fixtures.token("ci", of: alice), secretHash: "h2")
            #expect(try await db.store.deleteUser(id: alice.id) == true)
            #expect(try await db.store.findToken(secretHash: "h1") == nil)
            #expect(try await db.integer("SELECT COUNT(*) FROM api_tokens") == 0)
        }
    }
}
