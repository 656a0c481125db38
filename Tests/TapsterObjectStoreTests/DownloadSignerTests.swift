import Foundation
import Testing
@testable import TapsterObjectStore

@Suite("Signed download URLs")
struct DownloadSignerTests {
    let signer = DownloadSigner(key: .generate())
    let issued = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("A fresh URL verifies for its capture and reports its expiry")
    func validURL() throws {
        let signed = signer.sign(captureID: "cap-1", reader: "u-1", now: issued)

        let verified = try signer.verify(captureID: "cap-1", queryItems: signed.queryItems, now: issued.addingTimeInterval(60))

        #expect(verified.expiresAt == issued.addingTimeInterval(15 * 60))
        #expect(verified.reader == "u-1")
    }

    @Test("The default lifetime is 15 minutes and the query is reader=<user id>&expires=<unix>&signature=<base64url>")
    func queryShape() {
        let signed = signer.sign(captureID: "cap-1", reader: "u-1", now: issued)

        #expect(DownloadSigner.defaultLifetime == .seconds(900))
        #expect(signed.expires == 1_800_000_900)
        #expect(signed.query.hasPrefix("reader=u-1&expires=1800000900&signature="))
        #expect(signed.signature.count == 43)
        #expect(signed.signature.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    }

    @Test("At and after the expiry the URL is refused as expired")
    func expiredURL() {
        let signed = signer.sign(captureID: "cap-1", reader: "u-1", now: issued)

        #expect(throws: DownloadSignatureFailure.expired(at: signed.expiresAt)) {
            try signer.verify(captureID: "cap-1", queryItems: signed.queryItems, now: signed.expiresAt)
        }
    }

    @Test("A URL signed for one capture grants nothing for another")
    func wrongCapture() {
        let signed = signer.sign(captureID: "cap-1", reader: "u-1", now: issued)

        #expect(throws: DownloadSignatureFailure.badSignature) {
            try signer.verify(captureID: "cap-2", queryItems: signed.queryItems, now: issued)
        }
    }

    @Test("A changed signature character is a bad signature")
    func tamperedSignature() {
        let signed = signer.sign(captureID: "cap-1", reader: "u-1", now: issued)
        var characters = Array(signed.signature)
        characters[10] = characters[10] == "A" ? "B" : "A"
        let tampered = [URLQueryItem(name: "reader", value: "u-1"), URLQueryItem(name: "expires", value: String(signed.expires)),
                        URLQueryItem(name: "signature", value: String(characters))]

        #expect(throws: DownloadSignatureFailure.badSignature) {
            try signer.verify(captureID: "cap-1", queryItems: tampered, now: issued)
        }
    }

    @Test("A later expiry with the original signature is a bad signature, not a longer grant")
    func extendedExpiry() {
        let signed = signer.sign(captureID: "cap-1", reader: "u-1", now: issued)
        let extended = [URLQueryItem(name: "reader", value: "u-1"), URLQueryItem(name: "expires", value: String(signed.expires + 3600)),
                        URLQueryItem(name: "signature", value: signed.signature)]

        #expect(throws: DownloadSignatureFailure.badSignature) {
            try signer.verify(captureID: "cap-1", queryItems: extended, now: issued)
        }
    }

    @Test("A URL made for one reader is a bad signature with another reader in it")
    func otherReader() {
        let signed = signer.sign(captureID: "cap-1", reader: "u-1", now: issued)
        let swapped = [URLQueryItem(name: "reader", value: "u-2"), URLQueryItem(name: "expires", value: String(signed.expires)),
                       URLQueryItem(name: "signature", value: signed.signature)]

        #expect(throws: DownloadSignatureFailure.badSignature) {
            try signer.verify(captureID: "cap-1", queryItems: swapped, now: issued)
        }
    }

    @Test("A URL signed with another key is a bad signature")
    func otherKey() {
        let signed = DownloadSigner(key: .generate()).sign(captureID: "cap-1", reader: "u-1", now: issued)

        #expect(throws: DownloadSignatureFailure.badSignature) {
            try signer.verify(captureID: "cap-1", queryItems: signed.queryItems, now: issued)
        }
    }

    @Test("Malformed queries are refused with what is wrong", arguments: [
        ("expires=1800000900&signature=AAAA", DownloadSignatureFailure.Malformation.missingReader),
        ("reader=u-1&signature=AAAA", .missingExpires),
        ("reader=u-1&expires=1800000900", .missingSignature),
        ("reader=u-1&expires=soon&signature=" + String(repeating: "A", count: 43), .invalidExpires("soon")),
        ("reader=u-1&expires=-5&signature=" + String(repeating: "A", count: 43), .invalidExpires("-5")),
        ("reader=u-1&expires=1800000900&signature=not+base64url", .invalidSignatureEncoding),
        ("reader=u-1&expires=1800000900&signature=AAAA", .invalidSignatureEncoding),
        ("reader=u-1&expires=1&expires=2&signature=AAAA", .repeatedParameter("expires")),
        ("reader=u-1&reader=u-2&expires=1&signature=AAAA", .repeatedParameter("reader")),
        ("reader=u-1&expires=1800000900&signature=%zz", .invalidQuery),
    ])
    func malformed(query: String, malformation: DownloadSignatureFailure.Malformation) {
        #expect(throws: DownloadSignatureFailure.malformed(malformation)) {
            try signer.verify(SignedURL(captureID: "cap-1", query: query), now: issued)
        }
    }

    @Test("A signature whose unused trailing bits differ is malformed, not a second valid spelling")
    func nonCanonicalSignature() {
        let signed = signer.sign(captureID: "cap-1", reader: "u-1", now: issued)
        // 32 bytes are 43 base64url characters; the last carries 4 bits of data and 2 unused bits.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var characters = Array(signed.signature)
        let last = alphabet.firstIndex(of: characters[42])!
        characters[42] = alphabet[last ^ 1]

        #expect(throws: DownloadSignatureFailure.malformed(.invalidSignatureEncoding)) {
            try signer.verify(SignedURL(captureID: "cap-1", query: "reader=u-1&expires=\(signed.expires)&signature=\(String(characters))"), now: issued)
        }
    }

    @Test("The signed URL appends its query to a download URL and reads back from it")
    func urlRoundTrip() throws {
        let signed = signer.sign(captureID: "cap-1", reader: "u-1", now: issued)

        let url = signed.url(base: URL(string: "https://tapster.example/api/v1/captures/cap-1/download")!)
        let items = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []

        #expect(url.absoluteString == "https://tapster.example/api/v1/captures/cap-1/download?" + signed.query)
        #expect(try SignedURL(captureID: "cap-1", queryItems: items) == signed)
    }
}

@Suite("Download signing key file")
struct DownloadSigningKeyTests {
    @Test("The key is created once, mode 0600, and loaded unchanged afterwards")
    func createThenLoad() throws {
        let directory = try TemporaryDirectory("key")
        defer { directory.remove() }
        let keyDirectory = directory.url.appendingPathComponent("data/secrets")

        let created = try DownloadSigningKey.loadOrCreate(in: keyDirectory)
        let loaded = try DownloadSigningKey.loadOrCreate(in: keyDirectory)

        let path = keyDirectory.appendingPathComponent(DownloadSigningKey.fileName).path
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let issued = Date()
        let signed = DownloadSigner(key: created).sign(captureID: "c", reader: "u-1", now: issued)
        #expect(throws: Never.self) { try DownloadSigner(key: loaded).verify(signed, now: issued) }
    }

    @Test("A key file others can read is refused")
    func insecureMode() throws {
        let directory = try TemporaryDirectory("key")
        defer { directory.remove() }
        _ = try DownloadSigningKey.loadOrCreate(in: directory.url)
        let path = directory.url.appendingPathComponent(DownloadSigningKey.fileName).path
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)

        #expect(throws: DownloadSigningKeyError.insecurePermissions(path: path, mode: 0o644)) {
            try DownloadSigningKey.loadOrCreate(in: directory.url)
        }
    }

    @Test("A key file that is not base64 of 32 bytes is refused")
    func malformedFile() throws {
        let directory = try TemporaryDirectory("key")
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent(DownloadSigningKey.fileName).path
        FileManager.default.createFile(atPath: path, contents: Data("c2hvcnQ=\n".utf8), attributes: [.posixPermissions: 0o600])

        #expect(throws: DownloadSigningKeyError.tooShort(path: path, bytes: 5)) {
            try DownloadSigningKey.load(from: URL(fileURLWithPath: path))
        }
    }
}
