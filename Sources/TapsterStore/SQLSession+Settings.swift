import SQLKit
import TapsterCore

/// Small server-wide values, by name.
extension SQLSession {
    func setting(_ key: String) async throws -> String? {
        try await perform("read setting") {
            try await row("SELECT value FROM settings WHERE name = \(bind: key)")?.text("value")
        }
    }

    func setSetting(_ key: String, _ value: String) async throws {
        try await perform("write setting") {
            try await execute("""
                INSERT INTO settings (name, value) VALUES (\(bind: key), \(bind: value))
                ON CONFLICT (name) DO UPDATE SET value = excluded.value
                """)
        }
    }
}
