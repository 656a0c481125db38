import Crypto
import Foundation
import HTTPTypes
import TapsterCore

/// How a webhook call proves it knows its trigger's secret: `Authorization: Bearer <secret>` (what
/// Alertmanager's `http_config.authorization` sends), or `X-Tapster-Signature: sha256=<hex>`, the
/// HMAC-SHA256 of the raw body under the secret. Both compared in constant time.
enum TriggerSignature {
    static let header = HTTPField.Name("X-Tapster-Signature")!

    /// Why a call is refused; nil when it is authentic.
    static func refusal(authorization: String?, signature: String?, body: Data, secret: String) -> String? {
        if let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return "unsupported_authorization" }
            return constantTimeEqual(Data(parts[1].trimmingCharacters(in: .whitespaces).utf8), Data(secret.utf8)) ? nil : "wrong_secret"
        }
        guard let signature else { return "unsigned" }
        guard signature.hasPrefix("sha256="), let given = hexBytes(signature.dropFirst("sha256=".count)) else { return "malformed_signature" }
        let expected = Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8))))
        return constantTimeEqual(given, expected) ? nil : "wrong_signature"
    }

    /// The signature header's value for `body` under `secret` (for clients and tests).
    static func sign(_ body: Data, secret: String) -> String {
        "sha256=" + HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
            .map { String(format: "%02x", $0) }.joined()
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
