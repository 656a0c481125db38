import Testing
import TapsterPKI

@Suite("Join tokens")
struct JoinTokenTests {
    static let fingerprint = try! CertificateFingerprint(parsing: String(repeating: "ab", count: 32))

    @Test("a generated token's text parses back to the same token")
    func roundTrip() throws {
        let token = JoinToken.generate(caFingerprint: Self.fingerprint)
        let text = token.description
        #expect(try JoinToken(parsing: text) == token)
        #expect(JoinToken(text) == token)
        #expect(text == "tjoin.\(token.id).\(token.secret).\(String(repeating: "ab", count: 32))")
    }

    @Test("a generated token has an 8-character id and a 32-character secret from a-z0-9")
    func generatedShape() {
        let token = JoinToken.generate(caFingerprint: Self.fingerprint)
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789")
        #expect(token.id.count == 8 && token.id.allSatisfy(allowed.contains))
        #expect(token.secret.count == 32 && token.secret.allSatisfy(allowed.contains))
        #expect(token.caFingerprint == Self.fingerprint)
    }

    @Test("two generated tokens differ")
    func generatedTokensDiffer() {
        let first = JoinToken.generate(caFingerprint: Self.fingerprint)
        let second = JoinToken.generate(caFingerprint: Self.fingerprint)
        #expect(first.id != second.id)
        #expect(first.secret != second.secret)
    }

    @Test("the secret hash is the hex SHA-256 of the secret")
    func secretHash() {
        let token = JoinToken(id: "abcd1234", secret: "abcdefghijklmnopqrstuvwxyz012345", caFingerprint: Self.fingerprint)
        #expect(token.secretHash == "653bb1245e828fcda4fa53fcd5a3def5bd7654e651f54b4132b73d74e64435c4")
    }

    @Test("surrounding white space is ignored")
    func whiteSpace() throws {
        let token = JoinToken.generate(caFingerprint: Self.fingerprint)
        #expect(try JoinToken(parsing: "  \(token)\n") == token)
    }

    static let secret = "abcdefghijklmnopqrstuvwxyz012345"
    static let ca = String(repeating: "ab", count: 32)

    @Test("malformed text is refused with a message saying what is wrong", arguments: [
        ("", "malformed join token: it does not start with 'tjoin.'"),
        ("kjoin.abcd1234.\(secret).\(ca)", "malformed join token: it does not start with 'tjoin.'"),
        ("tjoin.abcd1234.\(secret)", "malformed join token: it has 3 dot-separated parts, expected 4 (tjoin.<id>.<secret>.<ca sha256>)"),
        ("tjoin.abcd123.\(secret).\(ca)", "malformed join token: the id 'abcd123' has 7 characters, expected 8"),
        ("tjoin.abcD1234.\(secret).\(ca)", "malformed join token: the id 'abcD1234' contains 'D', only a-z and 0-9 are allowed"),
        ("tjoin.abcd1234.\(secret)x.\(ca)", "malformed join token: the secret has 33 characters, expected 32"),
        ("tjoin.abcd1234.\(secret.dropLast())_.\(ca)", "malformed join token: the secret contains characters other than a-z and 0-9"),
        ("tjoin.abcd1234.\(secret).\(ca.dropLast(2))", "malformed join token: the CA fingerprint has 62 hex digits, expected 64"),
        ("tjoin.abcd1234.\(secret).\(ca)ab", "malformed join token: the CA fingerprint has 66 hex digits, expected 64"),
        ("tjoin.abcd1234.\(secret).\(ca.dropLast())g", "malformed join token: the CA fingerprint contains characters other than 0-9 and a-f"),
    ])
    func malformed(text: String, message: String) {
        #expect(JoinToken(text) == nil)
        #expect {
            try JoinToken(parsing: text)
        } throws: { error in
            (error as? PKIError)?.description == message
        }
    }
}

@Suite("Certificate fingerprints")
struct CertificateFingerprintTests {
    @Test("the text form is sha256: and 64 lower-case hex digits, and parses back")
    func roundTrip() throws {
        let text = "sha256:" + String(repeating: "0f", count: 32)
        let fingerprint = try #require(CertificateFingerprint(text))
        #expect(fingerprint.description == text)
        #expect(fingerprint.bytes == Array(repeating: 0x0f, count: 32))
    }

    @Test("text without the sha256: prefix is not a fingerprint's description")
    func prefixRequired() {
        #expect(CertificateFingerprint(String(repeating: "0f", count: 32)) == nil)
    }

    @Test("a wrong number of digits is refused with the count")
    func wrongLength() {
        #expect {
            try CertificateFingerprint(parsing: "sha256:abc")
        } throws: { error in
            (error as? PKIError) == .malformedFingerprint(text: "sha256:abc", reason: "has 3 hex digits, expected 64")
        }
    }

    @Test("upper-case digits are refused")
    func upperCase() {
        #expect(CertificateFingerprint("sha256:" + String(repeating: "0F", count: 32)) == nil)
    }
}
