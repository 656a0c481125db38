import Crypto
import Foundation
import TapsterCore
import _CryptoExtras

/// One public key of a provider's JWKS (RFC 7517), ready to check signatures: RSA (`RS256`–`RS512`,
/// `PS256`–`PS512`), EC P-256 / P-384 (`ES256`, `ES384`) or Ed25519 (`EdDSA`).
///
/// Only asymmetric algorithms exist here: `none` and the HMAC family (`HS256`…) cannot be verified by a
/// key of this type, so a token that names them is refused whatever its key says.
public struct JSONWebKey: Sendable {
    enum Material: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    public let keyID: String?
    /// The `alg` the provider bound the key to, if it did.
    public let algorithm: String?
    let material: Material

    /// Reads one member of a JWKS's `keys`; `nil` for keys Tapster cannot use for signatures (encryption
    /// keys, symmetric keys, unknown types or curves, RSA keys under 2,048 bits).
    init?(_ json: JSONValue) {
        if let use = json["use"]?.string, use != "sig" { return nil }
        keyID = json["kid"]?.string
        algorithm = json["alg"]?.string
        func bytes(_ name: String) -> Data? { json[name]?.string.flatMap(Base64URL.decode) }
        switch (json["kty"]?.string, json["crv"]?.string) {
        case ("RSA", _):
            guard let n = bytes("n"), let e = bytes("e"), let key = try? _RSA.Signing.PublicKey(n: n, e: e) else { return nil }
            material = .rsa(key)
        case ("EC", "P-256"):
            guard let x = bytes("x"), let y = bytes("y"), let key = try? P256.Signing.PublicKey(rawRepresentation: x + y) else { return nil }
            material = .p256(key)
        case ("EC", "P-384"):
            guard let x = bytes("x"), let y = bytes("y"), let key = try? P384.Signing.PublicKey(rawRepresentation: x + y) else { return nil }
            material = .p384(key)
        case ("OKP", "Ed25519"):
            guard let x = bytes("x"), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: x) else { return nil }
            material = .ed25519(key)
        default:
            return nil
        }
    }

    /// Whether this key can check a signature made with `algorithm` (the key's type fits, and its own `alg`
    /// — when it has one — is that algorithm).
    func fits(_ algorithm: String) -> Bool {
        if let bound = self.algorithm, bound != algorithm { return false }
        switch (material, algorithm) {
        case (.rsa, "RS256"), (.rsa, "RS384"), (.rsa, "RS512"), (.rsa, "PS256"), (.rsa, "PS384"), (.rsa, "PS512"),
             (.p256, "ES256"), (.p384, "ES384"), (.ed25519, "EdDSA"):
            return true
        default:
            return false
        }
    }

    /// Whether `signature` over `input` is this key's, made with `algorithm` (false when the key does not ``fits(_:)``).
    func isValidSignature(_ signature: Data, for input: Data, algorithm: String) -> Bool {
        guard fits(algorithm) else { return false }
        switch material {
        case .rsa(let key):
            let rsa = _RSA.Signing.RSASignature(rawRepresentation: signature)
            let padding: _RSA.Signing.Padding = algorithm.hasPrefix("PS") ? .PSS : .insecurePKCS1v1_5
            switch algorithm.suffix(3) {
            case "256": return key.isValidSignature(rsa, for: SHA256.hash(data: input), padding: padding)
            case "384": return key.isValidSignature(rsa, for: SHA384.hash(data: input), padding: padding)
            default: return key.isValidSignature(rsa, for: SHA512.hash(data: input), padding: padding)
            }
        case .p256(let key):
            guard let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(ecdsa, for: SHA256.hash(data: input))
        case .p384(let key):
            guard let ecdsa = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(ecdsa, for: SHA384.hash(data: input))
        case .ed25519(let key):
            return key.isValidSignature(signature, for: input)
        }
    }
}

/// A provider's published signing keys (its `jwks_uri` document).
public struct JSONWebKeySet: Sendable {
    public let keys: [JSONWebKey]

    /// Parses a JWKS document, keeping the keys usable for signatures and skipping the rest.
    public init(data: Data) throws(TokenRejection) {
        guard let json = try? JSONValue(data: data), case .array(let members)? = json["keys"] else {
            throw TokenRejection("the provider's JWKS is not a JSON object with keys")
        }
        keys = members.compactMap(JSONWebKey.init)
    }

    /// Whether the set has a key of this `kid` (a token naming another one means the provider rotated its
    /// keys since the set was fetched).
    public func contains(keyID: String) -> Bool {
        keys.contains { $0.keyID == keyID }
    }

    /// The algorithms Tapster accepts: asymmetric signatures only.
    public static let acceptedAlgorithms: Set<String> = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"]

    /// Checks the token's signature against the key its `kid` names (or, without a `kid`, any key that fits).
    public func verify(_ token: JSONWebToken) throws(TokenRejection) {
        guard Self.acceptedAlgorithms.contains(token.algorithm) else {
            throw TokenRejection("the token's alg \(token.algorithm) is not accepted (only signatures with a public key: "
                                 + Self.acceptedAlgorithms.sorted().joined(separator: ", ") + ")")
        }
        let candidates = keys.filter { key in token.keyID.map { key.keyID == $0 } ?? true }
        guard !candidates.isEmpty else {
            throw TokenRejection("no key of the provider has kid \(token.keyID ?? "-")")
        }
        guard candidates.contains(where: { $0.isValidSignature(token.signature, for: token.signingInput, algorithm: token.algorithm) }) else {
            throw TokenRejection("the token's \(token.algorithm) signature does not verify with the provider's key \(token.keyID ?? "(no kid)")")
        }
    }
}
