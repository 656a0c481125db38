import Foundation

/// The databases the store runs on, as tests are parameterised over them.
public enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    /// The environment variable naming the PostgreSQL server tests may create databases on,
    /// as an admin URL such as `postgres://postgres@127.0.0.1:55432/postgres`
    /// (`scripts/postgres-for-tests.sh start` prints one).
    public static let postgresURLVariable = "TAPSTER_TEST_POSTGRES_URL"

    /// The admin URL of the PostgreSQL server for tests, when one is configured.
    public static var postgresAdminURL: String? {
        guard let url = ProcessInfo.processInfo.environment[postgresURLVariable], !url.isEmpty else { return nil }
        return url
    }

    /// The kinds tests can run on here: SQLite always, PostgreSQL when ``postgresURLVariable`` is set.
    public static var available: [StoreKind] {
        postgresAdminURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    /// Whether this runs in CI (`CI=true`), where PostgreSQL must never be skipped.
    public static var isCI: Bool {
        ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true"
    }

    public var description: String { rawValue }
}
