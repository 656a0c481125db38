import TapsterCore
import TapsterPKI

/// The server's data directory (the SQLite database, the agents' CA, the audit key, stored captures) is
/// the server's alone: mode 0700, and each file directly in it 0600 — also when the directory existed
/// before with looser permissions (made by hand, or by an older version), which are tightened, not kept.
/// The work is ``PrivateFiles/secureDirectory(_:)``'s; this names the directory in a server error.
enum DataDirectory {
    /// Creates `path` (0700) if missing, and tightens an existing one and what is directly in it.
    static func secure(_ path: String) throws(TapsterError) {
        do {
            try PrivateFiles.secureDirectory(path)
        } catch {
            throw TapsterError(.unavailable, "the data directory \(path): \(error)")
        }
    }
}
