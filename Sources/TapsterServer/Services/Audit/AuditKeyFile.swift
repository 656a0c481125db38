import Foundation
import TapsterCore
import TapsterStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where the audit chain's key lives: outside the database, so that whoever can write the database
/// cannot re-seal a rewritten log. By default `audit.key` in the data directory (mode 0600);
/// `TAPSTER_AUDIT_KEY_FILE` names another file (replicas on one PostgreSQL must share one key).
enum AuditKeyFile {
    static let environmentVariable = "TAPSTER_AUDIT_KEY_FILE"
    static let defaultName = "audit.key"

    /// The key file's path for a server with this data directory.
    static func path(dataDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let path = environment[environmentVariable], !path.isEmpty { return path }
        return (dataDirectory as NSString).appendingPathComponent(defaultName)
    }

    /// Reads the key at `path`, or — on the first start with this store — creates it, keyed from the event
    /// after the newest one already in the log (those stay verifiable as they were sealed), and has the
    /// store seal every new event with it.
    @discardableResult
    static func load(_ path: String, into store: SQLStore) async throws -> AuditKey {
        let key: AuditKey
        if FileManager.default.fileExists(atPath: path) {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw TapsterError(.unavailable, "cannot read the audit key \(path): \(error)")
            }
            do {
                key = try AuditKey(fileText: text)
            } catch {
                throw TapsterError(.unavailable, "\(path): \(error.message)")
            }
        } else {
            let newest = try await store.auditEvents(AuditQuery(newestFirst: true, limit: 1)).first?.sequence ?? 0
            key = AuditKey.generate(keyedFrom: newest + 1)
            try create(path, text: key.fileText)
        }
        store.sealAudit(with: key)
        return key
    }

    /// Writes a new file readable by its owner only; refuses to replace one (O_EXCL).
    private static func create(_ path: String, text: String) throws(TapsterError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw TapsterError(.unavailable, "cannot create the audit key \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            unlink(path)
            throw TapsterError(.unavailable, "cannot write the audit key \(path): \(String(cString: strerror(errno)))")
        }
    }
}
