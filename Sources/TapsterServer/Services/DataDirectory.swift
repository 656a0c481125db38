import Foundation
import TapsterCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The server's data directory (the SQLite database, the agents' CA, the audit key, stored captures) is
/// the server's alone: mode 0700, and each file directly in it 0600 — also when the directory existed
/// before with looser permissions (made by hand, or by an older version), which are tightened, not kept.
enum DataDirectory {
    /// Creates `path` (0700) if missing, and tightens an existing one and what is directly in it.
    static func secure(_ path: String) throws(TapsterError) {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw TapsterError(.unavailable, "cannot create the data directory \(path): \(error)")
            }
        } else if !isDirectory.boolValue {
            throw TapsterError(.unavailable, "the data directory \(path) is a file")
        }
        try restrict(path, mode: 0o700)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        for entry in entries {
            let full = (path as NSString).appendingPathComponent(entry)
            var info = stat()
            // lstat: a symbolic link is left alone (chmod would change what it points to).
            guard lstat(full, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: try restrict(full, mode: 0o700)
            case S_IFREG: try restrict(full, mode: 0o600)
            default: continue
            }
        }
    }

    private static func restrict(_ path: String, mode: mode_t) throws(TapsterError) {
        guard chmod(path, mode) == 0 else {
            throw TapsterError(.unavailable, "cannot set mode \(String(mode, radix: 8)) on \(path): \(String(cString: strerror(errno)))")
        }
    }
}
