import Foundation
import TapsterCore

/// The file `tapster login` writes: `$XDG_CONFIG_HOME/tapster/config.json`, else
/// `~/.config/tapster/config.json`; readable by its owner only (mode 0600), as it holds a token.
public struct ConfigFile: Sendable, Equatable {
    public var path: String

    public init(path: String) {
        self.path = path
    }

    /// Where the file is for this environment, or `nil` when neither `XDG_CONFIG_HOME` nor `HOME` is set.
    public static func location(environment: [String: String]) -> ConfigFile? {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            return ConfigFile(path: xdg + "/tapster/config.json")
        }
        if let home = environment["HOME"], !home.isEmpty {
            return ConfigFile(path: home + "/.config/tapster/config.json")
        }
        return nil
    }

    /// The saved login, or `nil` when there is no file.
    public func load() throws(TapsterError) -> StoredLogin? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return try TapsterJSON.decoder().decode(StoredLogin.self, from: data)
        } catch {
            throw TapsterError(.invalidArgument, "cannot read \(path): \(DecodingSummary.describe(error)); fix it or run 'tapster login' again")
        }
    }

    /// Writes `login` atomically, creating the directory (0700) and the file (0600).
    public func save(_ login: StoredLogin) throws(TapsterError) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = path + ".tmp-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let data = try TapsterJSON.encoder(pretty: true).encode(login) + Data("\n".utf8)
            guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600]),
                  chmod(temporary, 0o600) == 0 else {
                throw CocoaError(.fileWriteNoPermission)
            }
            try data.write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            unlink(temporary)
            throw TapsterError(.internal, "cannot write \(path): \(error.localizedDescription)")
        }
    }
}
