import Crypto
import Foundation
import TapsterStore

/// GRE keys of tunnelled `port` deliveries: one per tap, random to anyone but the server, stable for the
/// tap's whole life, and unique among the receptions of one host.
///
/// A key is the first 32 bits of HMAC-SHA256(secret, tap id), where the secret is 32 random bytes the server
/// generates once and keeps in the store's settings (``secretSetting``). So a tap's key is unpredictable
/// from its id (which is public: in URLs, on `/metrics`), needs no per-tap row, and is the same after a
/// server restart and on every replica sharing the store — a running delivery never sees its key change
/// underneath it: the sending and the receiving agent keep the key they were given while the server is
/// away, and get the same one again when they reconnect. Keys travel only over the agents' mTLS channel.
///
/// On a clash among one host's receptions (2⁻³² per pair), the later tap (by id) takes the next
/// derivation (`tap id#1`, …).
struct TunnelKeys {
    /// The store setting holding the secret, base64.
    static let secretSetting = "agents.tunnel_key_secret"

    private let secret: SymmetricKey
    private var assigned: [String: UInt32] = [:]
    private var used: [String: Set<UInt32>] = [:]

    /// Keys derived from `secret`.
    init(secret: SymmetricKey) {
        self.secret = secret
    }

    /// The key of `tapID`'s frames to `host`: the same on every call.
    mutating func key(for tapID: String, host: String) -> UInt32 {
        let slot = host + "\u{0}" + tapID
        if let key = assigned[slot] { return key }
        var attempt = 0
        var key = derive(tapID, attempt: attempt)
        while used[host, default: []].contains(key) {
            attempt += 1
            key = derive(tapID, attempt: attempt)
        }
        used[host, default: []].insert(key)
        assigned[slot] = key
        return key
    }

    /// The first 32 bits of HMAC-SHA256 of the tap id (and the attempt, after the first) under the secret.
    func derive(_ tapID: String, attempt: Int = 0) -> UInt32 {
        let mac = HMAC<SHA256>.authenticationCode(for: Data((attempt == 0 ? tapID : "\(tapID)#\(attempt)").utf8), using: secret)
        return mac.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// A secret made of `bytes` (32 of them, as the store keeps it).
    static func secret(_ bytes: Data) -> SymmetricKey {
        SymmetricKey(data: bytes)
    }

    /// The secret kept in `store`, made (32 random bytes) on first use. Read on every plan: when two
    /// replicas of a new deployment make one at the same moment, the last write wins and both use it
    /// from their next plan on.
    static func secret(in store: any Store) async throws -> SymmetricKey {
        if let kept = try await store.setting(secretSetting).flatMap({ Data(base64Encoded: $0) }), kept.count == 32 {
            return SymmetricKey(data: kept)
        }
        let made = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        try await store.setSetting(secretSetting, made.base64EncodedString())
        let kept = try await store.setting(secretSetting).flatMap { Data(base64Encoded: $0) } ?? made
        return SymmetricKey(data: kept)
    }
}
