import Foundation
import Synchronization
import TapsterProcess

/// What `tapster serve` prints: on first start, at once, the admin's one-time password and API
/// token; once it listens, where to point a browser and the CLI, and where agents connect.
struct Banner: Sendable {
    let host: String
    /// The database, as ``DatabaseConfiguration`` describes it (passwords hidden).
    let store: String
    /// The agent channel's lines wait for the listening block, whichever listens first.
    private let order = Order()

    init(host: String, store: String) {
        self.host = host
        self.store = store
    }

    private final class Order: Sendable {
        /// Whether the listening block was printed, and the agent lines waiting for it.
        let state = Mutex<(listening: Bool, waiting: [String])>((false, []))
    }

    func url(port: Int) -> String {
        "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// The first admin's secrets, shown only now: on standard error when standard output cannot take them (they are in
    /// no log, and nothing else shows them again).
    func printFirstStart(_ admin: FirstAdmin, port: Int) {
        write(to: [STDOUT_FILENO, STDERR_FILENO], [
            "First start: created the admin account. These secrets are shown only now:",
            "  user:      \(admin.name)",
            "  password:  \(admin.oneTimePassword)   (one-time: choose a new one at first login, in the portal or with tapster login)",
            "  API token: \(admin.token)",
            "",
            "  export TAPSTER_SERVER=\(url(port: port)) TAPSTER_TOKEN=\(admin.token)",
            "",
        ])
    }

    /// Where the server listens (the real port when 0 was asked for).
    func printListening(port: Int) {
        let url = url(port: port)
        write([
            "Tapster is listening on \(url)",
            "  portal:  \(url)/",
            "  API:     \(url)/api/v1  (OpenAPI: \(url)/api/v1/openapi.yaml)",
            "  store:   \(store)",
            "  log in:  tapster login --server \(url) --user admin   (or the portal)",
        ])
        let waiting = order.state.withLock { state in
            state.listening = true
            defer { state.waiting = [] }
            return state.waiting
        }
        if !waiting.isEmpty { write(waiting) }
    }

    /// Where agents connect, and the CA fingerprint their join tokens carry.
    func printAgentChannel(address: String, fingerprint: String) {
        let lines = [
            "  agents:  \(address)  (gRPC, mutual TLS; CA \(fingerprint))",
            "           enrol a host: tapster agent token create",
        ]
        let now = order.state.withLock { state in
            if !state.listening { state.waiting = lines }
            return state.listening
        }
        if now { write(lines) }
    }

    /// Writes `lines` to the first of `descriptors` that takes them. A failure is let go: the banner is for whoever
    /// watches the terminal, the log says where the server listens too, and a server whose standard output is gone
    /// (`tapster serve | head -1`, a full disk) goes on serving.
    private func write(to descriptors: [Int32] = [STDOUT_FILENO], _ lines: [String]) {
        let text = lines.joined(separator: "\n") + "\n"
        for descriptor in descriptors where DescriptorWriter.writeAll(text, to: descriptor) == .written { return }
    }
}
