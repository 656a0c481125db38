import Foundation

/// What `tapster serve` prints once it listens: where to point a browser and the CLI, and —
/// on first start only — the admin's one-time password and API token.
struct Banner {
    let host: String
    let port: Int
    /// The database, as ``DatabaseConfiguration`` describes it (passwords hidden).
    let store: String
    let firstAdmin: FirstAdmin?

    func print() {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let url = "http://\(shownHost):\(port)"
        var lines = [
            "Tapster is listening on \(url)",
            "  portal:  \(url)/",
            "  API:     \(url)/api/v1  (OpenAPI: \(url)/api/v1/openapi.yaml)",
            "  store:   \(store)",
        ]
        if let admin = firstAdmin {
            lines += [
                "",
                "First start: created the admin account. These secrets are shown only now:",
                "  user:      \(admin.name)",
                "  password:  \(admin.oneTimePassword)   (one-time: the portal asks for a new one at first login)",
                "  API token: \(admin.token)",
                "",
                "  export TAPSTER_SERVER=\(url) TAPSTER_TOKEN=\(admin.token)",
            ]
        } else {
            lines += ["  log in:  tapster login --server \(url) --user admin   (or the portal)"]
        }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
