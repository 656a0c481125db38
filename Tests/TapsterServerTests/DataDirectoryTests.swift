import Foundation
import Testing
@testable import TapsterServer
import TapsterCore
import TapsterStore
import TapsterTestSupport

/// The server's data directory and the audit key in it are the server's alone.
@Suite struct DataDirectoryTests {
    private static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    private static func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tapster-data-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try await body(path)
    }

    @Test func aPreExistingDataDirectoryIsTightenedWithItsFiles() async throws {
        try await Self.withTemporaryDirectory { path in
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            let database = path + "/tapster.sqlite"
            #expect(FileManager.default.createFile(atPath: database, contents: Data("x".utf8), attributes: [.posixPermissions: 0o644]))
            try FileManager.default.createDirectory(atPath: path + "/pki", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
            try DataDirectory.secure(path)
            #expect(try Self.mode(path) == 0o700)
            #expect(try Self.mode(database) == 0o600)
            #expect(try Self.mode(path + "/pki") == 0o700)
        }
    }

    @Test func aMissingDataDirectoryIsCreatedPrivate() async throws {
        try await Self.withTemporaryDirectory { path in
            try DataDirectory.secure(path + "/nested")
            #expect(try Self.mode(path + "/nested") == 0o700)
        }
    }

    @Test func aFileWhereTheDataDirectoryShouldBeIsRefusedWithItsPath() async throws {
        try await Self.withTemporaryDirectory { path in
            #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
            #expect(throws: TapsterError(.unavailable, "the data directory \(path): cannot create directory \(path): a file of that name exists")) {
                try DataDirectory.secure(path)
            }
        }
    }

    @Test(arguments: StoreKind.available)
    func theAuditKeyIsCreatedPrivateAndKeyedFromTheNextEvent(kind: StoreKind) async throws {
        try await Self.withTemporaryDirectory { path in
            try DataDirectory.secure(path)
            try await TestDatabase.with(kind) { database in
                let store = database.store
                for index in 1...3 { _ = try await store.appendAudit(AuditEntry(actor: "system", action: "test.\(index)", objectType: "test"), at: Date()) }
                let file = AuditKeyFile.path(dataDirectory: path, environment: [:])
                let key = try await AuditKeyFile.load(file, into: store)
                #expect(key.keyedFrom == 4)
                #expect(try Self.mode(file) == 0o600)
                #expect(try await AuditKeyFile.load(file, into: store) == key)
                let event = try await store.appendAudit(AuditEntry(actor: "system", action: "test.keyed", objectType: "test"), at: Date())
                #expect(event.hash == AuditChain.hash(of: event, key: key))
                #expect(event.hash != AuditChain.hash(of: event))
                let verification = try await store.verifyAudit()
                #expect(verification.valid)
                #expect(verification.keyedFrom == 4)
            }
        }
    }

    @Test func theAuditKeyFileCanBeNamedInTheEnvironment() {
        #expect(AuditKeyFile.path(dataDirectory: "/var/lib/tapster", environment: ["TAPSTER_AUDIT_KEY_FILE": "/etc/tapster/audit.key"])
            == "/etc/tapster/audit.key")
        #expect(AuditKeyFile.path(dataDirectory: "/var/lib/tapster", environment: [:]) == "/var/lib/tapster/audit.key")
    }
}
