import Crypto
import Foundation
import HTTPTypes
import TapsterCore

/// How a webhook call proves it knows its trigger's secret: `Authorization: Bearer <secret>` (what
/// Alertmanager's `http_config.authorization` sends), or `X-Tapster-Signature: t=<unix seconds>,v1=<hex>`
/// (Stripe's scheme), `v1` the HMAC-SHA256 under the secret of `"<t>.<raw body>"`, refused when `t` is more
/// than ``tolerance`` from the server's clock — so a signed call cannot be replayed later. Compared in constant time.
enum TriggerSignature {
    static let header = HTTPField.Name("X-Tapster-Signature")!
    /// How far a signature's timestamp may be from the server's clock, either way.
    static let tolerance: TimeInterval = 300

    /// Why a call is refused; nil when it is authentic. `now` is the server's clock when the call arrived.
    static func refusal(authorization: String?, signature: String?, body: Data, secret: String, now: Date) -> String? {
        if let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return "unsupported_authorization" }
            return constantTimeEqual(Data(parts[1].trimmingCharacters(in: .whitespaces).utf8), Data(secret.utf8)) ? nil : "wrong_secret"
        }
        guard let signature else { return "unsigned" }
        var timestamp: Int64?
        var given: [Data] = []
        for element in signature.split(separator: ",") {
            let pair = element.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { return "malformed_signature" }
            switch pair[0] {
            case "t":
                guard timestamp == nil, let t = Int64(pair[1]) else { return "malformed_signature" }
                timestamp = t
            case "v1":
                guard let bytes = hexBytes(pair[1]) else { return "malformed_signature" }
                given.append(bytes)
            default: continue  // other schemes (a later v2) are not read
            }
        }
        guard let timestamp else { return given.isEmpty ? "malformed_signature" : "missing_timestamp" }
        guard !given.isEmpty else { return "malformed_signature" }
        guard abs(Double(timestamp) - now.timeIntervalSince1970) <= tolerance else { return "stale_timestamp" }
        let expected = mac(body, secret: secret, timestamp: timestamp)
        // Every v1 is compared (no early exit): a sender rotating its secret may send two.
        return given.reduce(false) { constantTimeEqual($1, expected) || $0 } ? nil : "wrong_signature"
    }

    /// The signature header's value for `body` under `secret`, signed at `date` (for clients and tests).
    static func sign(_ body: Data, secret: String, at date: Date) -> String {
        let t = Int64(date.timeIntervalSince1970.rounded(.down))
        return "t=\(t),v1=" + mac(body, secret: secret, timestamp: t).map { String(format: "%02x", $0) }.joined()
    }

    private static func mac(_ body: Data, secret: String, timestamp: Int64) -> Data {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8))))
    }

    private static func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    private static func hexBytes(_ text: Substring) -> Data? {
        guard text.count == 64 else { return nil }
        var bytes = Data()
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
