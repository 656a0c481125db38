import Synchronization

/// The serial numbers (lower-case hex, as ``IssuedCertificate/serial``) of agent certificates the server refuses.
///
/// The server fills it from its database and updates it when an agent is revoked; the agent channel's TLS
/// handshake consults it for every connection. Safe to use from any thread.
public final class RevocationList: Sendable {
    private let serials: Mutex<Set<String>>

    /// A list holding `serials`.
    public init(_ serials: some Sequence<String> = [String]()) {
        self.serials = Mutex(Set(serials.map { $0.lowercased() }))
    }

    /// Refuses the certificate with `serial` from now on.
    public func insert(serial: String) {
        _ = serials.withLock { $0.insert(serial.lowercased()) }
    }

    /// Whether the certificate with `serial` is refused.
    public func contains(serial: String) -> Bool {
        serials.withLock { $0.contains(serial.lowercased()) }
    }

    /// Replaces every serial with `serials` (after reloading them from the database).
    public func replaceAll(with serials: some Sequence<String>) {
        let fresh = Set(serials.map { $0.lowercased() })
        self.serials.withLock { $0 = fresh }
    }

    /// How many serials are refused.
    public var count: Int { serials.withLock { $0.count } }
}
