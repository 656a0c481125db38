import Foundation
import TapsterCore
import TapsterStore
import TapsterTestSupport
import Testing

/// Parsing `--database-url`, and opening what it names.
@Suite struct DatabaseConfigurationTests {
    @Test(arguments: [
        "postgres://tapster:secret@db.example:5433/tapster",
        "postgresql://tapster@db.example/tapster?sslmode=disable",
    ])
    func postgresURLsAreKeptAsGiven(url: String) throws {
        let configuration = try DatabaseConfiguration(parsing: url)
        #expect(configuration.location == .postgres(url: url))
        #expect(configuration.kind == .postgres)
        #expect(configuration.maximumConnections == 8)
    }

    @Test(arguments: [
        ("/var/lib/tapster/tapster.sqlite", "/var/lib/tapster/tapster.sqlite"),
        ("sqlite:///var/lib/tapster/tapster.sqlite", "/var/lib/tapster/tapster.sqlite"),
        ("sqlite://data/tapster.sqlite", "data/tapster.sqlite"),
        ("tapster.sqlite", "tapster.sqlite"),
    ])
    func sqliteFormsNameAFile(text: String, path: String) throws {
        let configuration = try DatabaseConfiguration(parsing: text)
        #expect(configuration.location == .sqlite(path: path))
        #expect(configuration.kind == .sqlite)
    }

    @Test(arguments: [
        ("", "database_url: must not be empty"),
        ("mysql://root@db/tapster", "database_url: \"mysql://\" is not a supported database; use postgres://… or an SQLite file path"),
        ("postgres://db.example/tapster", "database_url: a PostgreSQL URL names a user: postgres://user@db.example/database"),
        ("postgres://tapster@db.example", "database_url: a PostgreSQL URL names one database: postgres://tapster@db.example/tapster"),
        ("postgres://tapster@db.example/t?sslmode=sometimes",
         "database_url: sslmode \"sometimes\" is not one of allow, disable, prefer, require, verify-ca, verify-full"),
        ("sqlite://", "database_url: \"sqlite://\" names no SQLite file"),
    ])
    func malformedURLsAreInvalidArguments(text: String, message: String) {
        let error = #expect(throws: TapsterError.self) { try DatabaseConfiguration(parsing: text) }
        #expect(error == TapsterError(.invalidArgument, message, field: "database_url"))
    }

    @Test func descriptionHidesThePassword() throws {
        let configuration = try DatabaseConfiguration(parsing: "postgres://tapster:secret@db.example:5433/tapster")
        #expect(configuration.description == "postgres://tapster:***@db.example:5433/tapster")
    }

    @Test func openingAnUnreachablePostgresIsAStoreError() async throws {
        let configuration = try DatabaseConfiguration(parsing: "postgres://tapster@127.0.0.1:1/tapster?sslmode=disable")
        await #expect(throws: StoreError.self) {
            try await SQLStore.open(configuration, logger: TestDatabase.quietLogger)
        }
    }

    @Test func openingSQLiteInAMissingDirectoryIsAStoreError() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tapster-missing-\(UUID())/tapster.sqlite").path
        let error = await #expect(throws: StoreError.self) {
            try await SQLStore.open(.sqlite(path: path), logger: TestDatabase.quietLogger)
        }
        #expect(error?.operation == "open sqlite://\(path)")
    }
}
