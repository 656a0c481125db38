import Foundation
import Logging
import PostgresKit

/// Creates and drops databases on a PostgreSQL server, through its admin URL.
enum PostgresAdmin {
    /// Runs `statement` (which may not run inside a transaction, as `CREATE DATABASE`) on a
    /// connection of its own to the admin URL's database.
    static func run(_ statement: SQLQueryString, adminURL: String, logger: Logger) async throws {
        let configuration = try SQLPostgresConfiguration(url: adminURL)
        let connection = try await PostgresConnection.connect(
            configuration: configuration.coreConfiguration, id: 1, logger: logger)
        do {
            try await connection.sql().raw(statement).run()
        } catch {
            try? await connection.close()
            throw TestDatabaseError("\(PostgresAdmin.describe(error)) (admin URL \(adminURL))")
        }
        try await connection.close()
    }

    static func createDatabase(_ name: String, adminURL: String, logger: Logger) async throws {
        try await run("CREATE DATABASE \(ident: name)", adminURL: adminURL, logger: logger)
    }

    /// Drops the database, disconnecting whoever is still on it.
    static func dropDatabase(_ name: String, adminURL: String, logger: Logger) async throws {
        try await run("DROP DATABASE IF EXISTS \(ident: name) WITH (FORCE)", adminURL: adminURL, logger: logger)
    }

    /// The admin URL with its database replaced by `name`.
    static func url(_ adminURL: String, database name: String) throws -> String {
        guard var components = URLComponents(string: adminURL) else {
            throw TestDatabaseError("\(StoreKind.postgresURLVariable)=\(adminURL) is not a URL")
        }
        components.path = "/\(name)"
        guard let url = components.string else {
            throw TestDatabaseError("\(StoreKind.postgresURLVariable)=\(adminURL) is not a URL")
        }
        return url
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return error.underlying.map { "\(error.code): \($0)" } ?? "\(error.code)"
        }
        return String(describing: error)
    }
}

/// Why a test database could not be made or dropped.
public struct TestDatabaseError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
