import Foundation
import NIOCore
import Testing
@testable import TapsterObjectStore

@Suite("Filesystem object store")
struct FilesystemObjectStoreTests {
    static let pcapng = "application/x-pcapng"
    static let tags = ["owner": "alice", "tenant": "acme", "tap": "tap-1"]

    @Test("An uploaded object downloads byte for byte, with its size and media type")
    func roundTrip() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FilesystemObjectStore(root: directory.url)
        let payload = TestPayload.bytes(3_000_000)

        let stored = try await store.upload(
            key: "captures/acme/c1.pcapng", tags: Self.tags, contentType: Self.pcapng, body: TestPayload.body(payload))
        let download = try await store.download(key: "captures/acme/c1.pcapng")
        let bytes = try await download.body.collect(upTo: 10 << 20)

        #expect(stored.size == 3_000_000)
        #expect(download.size == 3_000_000)
        #expect(download.object.contentType == Self.pcapng)
        #expect(Array(bytes.readableBytesView) == payload)
    }

    @Test("The object is a plain file under the root, mode 0600, with a hidden sidecar and no leftovers")
    func layoutOnDisk() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FilesystemObjectStore(root: directory.url.appendingPathComponent("objects"))

        _ = try await store.upload(
            key: "captures/c1.pcapng", tags: Self.tags, contentType: Self.pcapng, body: TestPayload.body([1, 2, 3]))

        #expect(directory.allFiles() == ["objects/captures/.c1.pcapng.meta.json", "objects/captures/c1.pcapng"])
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.path + "/objects/captures/c1.pcapng")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test("Head returns the tags, size, media type and SHA-256 given at upload")
    func headCarriesTags() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FilesystemObjectStore(root: directory.url)

        let stored = try await store.upload(key: "c1", tags: Self.tags, contentType: Self.pcapng, body: TestPayload.body(Array("abc".utf8)))
        let head = try #require(try await store.head(key: "c1"))

        #expect(head.tags == Self.tags)
        #expect(head.size == 3)
        #expect(head.contentType == Self.pcapng)
        #expect(head.etag == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(head.lastModified == stored.lastModified)
        #expect(try await store.tags(key: "c1") == Self.tags)
    }

    @Test("Uploading to an existing key replaces the object and its tags")
    func uploadReplaces() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FilesystemObjectStore(root: directory.url)

        _ = try await store.upload(key: "c1", tags: ["owner": "alice"], contentType: Self.pcapng, body: TestPayload.body([1, 2, 3, 4]))
        _ = try await store.upload(key: "c1", tags: ["owner": "bob"], contentType: Self.pcapng, body: TestPayload.body([9]))

        let head = try #require(try await store.head(key: "c1"))
        #expect(head.size == 1)
        #expect(head.tags == ["owner": "bob"])
    }

    @Test("Listing returns the objects under a prefix, sorted, with sizes and dates but no tags")
    func listByPrefix() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FilesystemObjectStore(root: directory.url)
        // The dates are checked against the test's own clock, not against "now": under the full suite's load the
        // uploads and listings once took over a minute.
        let before = Date()
        for key in ["captures/acme/b", "captures/acme/a", "captures/acmex/c", "captures/other/d", "top"] {
            _ = try await store.upload(key: key, tags: Self.tags, contentType: Self.pcapng, body: TestPayload.body([1, 2]))
        }

        let acme = try await store.list(prefix: "captures/acme/")
        let acmePartial = try await store.list(prefix: "captures/acm")
        let everything = try await store.list(prefix: "")
        let after = Date()

        #expect(acme.map(\.key) == ["captures/acme/a", "captures/acme/b"])
        #expect(acmePartial.map(\.key) == ["captures/acme/a", "captures/acme/b", "captures/acmex/c"])
        #expect(everything.map(\.key) == ["captures/acme/a", "captures/acme/b", "captures/acmex/c", "captures/other/d", "top"])
        // A second of slack either side: file times are the file system's, kept to its granularity.
        #expect(acme.allSatisfy { $0.size == 2 && $0.tags == nil && $0.lastModified >= before - 1 && $0.lastModified <= after + 1 },
                "\(acme), listed between \(before) and \(after)")
    }

    @Test("Listing with tags fills in each object's tags")
    func listWithTags() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FilesystemObjectStore(root: directory.url)
        _ = try await store.upload(key: "t/a", tags: ["owner": "alice"], contentType: Self.pcapng, body: TestPayload.body([1]))
        _ = try await store.upload(key: "t/b", tags: ["owner": "bob"], contentType: Self.pcapng, body: TestPayload.body([1]))

        let listed = try await store.listWithTags(prefix: "t/")

        #expect(listed.map(\.tags) == [["owner": "alice"], ["owner": "bob"]])
    }

    @Test("Listing a prefix with no objects returns nothing, even before the root exists")
    func listEmpty() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FilesystemObjectStore(root: directory.url.appendingPathComponent("not-yet"))

        #expect(try await store.list(prefix: "captures/").isEmpty)
    }

    @Test("Deleting removes the object, its sidecar and the emptied directories")
    func deleteRemovesEverything() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FilesystemObjectStore(root: directory.url)
        _ = try await store.upload(key: "captures/acme/c1", tags: Self.tags, contentType: Self.pcapng, body: TestPayload.body([1]))

        try await store.delete(key: "captures/acme/c1")

        #expect(try await store.head(key: "captures/acme/c1") == nil)
        #expect(try await store.list(prefix: "").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("Deleting a key that holds nothing succeeds")
    func deleteMissing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await FilesystemObjectStore(root: directory.url).delete(key: "captures/none")
    }

    @Test("Downloading a missing key throws notFound")
    func downloadMissing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        await #expect(throws: ObjectStoreError.notFound(key: "nothing")) {
            try await FilesystemObjectStore(root: directory.url).download(key: "nothing")
        }
    }

    @Test("Head of a missing key is nil; its tags are notFound")
    func headMissing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FilesystemObjectStore(root: directory.url)
        #expect(try await store.head(key: "nothing") == nil)
        await #expect(throws: ObjectStoreError.notFound(key: "nothing")) { try await store.tags(key: "nothing") }
    }

    @Test("Keys with '..' or a leading '/' are refused before anything is written", arguments: [
        ("../escape", InvalidObjectKey.Reason.parentOrCurrentDirectory), ("/etc/passwd", .absolutePath),
    ])
    func badKeysWriteNothing(key: String, reason: InvalidObjectKey.Reason) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FilesystemObjectStore(root: directory.url.appendingPathComponent("root"))

        await #expect(throws: ObjectStoreError.invalidKey(InvalidObjectKey(key: key, reason: reason))) {
            try await store.upload(key: key, tags: [:], contentType: Self.pcapng, body: TestPayload.body([1]))
        }
        await #expect(throws: ObjectStoreError.invalidKey(InvalidObjectKey(key: key, reason: reason))) {
            try await store.download(key: key)
        }
        await #expect(throws: ObjectStoreError.invalidKey(InvalidObjectKey(key: key, reason: reason))) {
            try await store.delete(key: key)
        }
        #expect(directory.allFiles().isEmpty)
    }

    @Test("A body that fails leaves no object and no temporary file")
    func failedBodyLeavesNothing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FilesystemObjectStore(root: directory.url)
        let body = ChunkedBody(bytes: TestPayload.bytes(3 << 20), chunkSize: 65_536, failAfter: 2 << 20)

        await #expect(throws: BodyFailure.self) {
            try await store.upload(key: "captures/c1", tags: [:], contentType: Self.pcapng, body: body)
        }

        #expect(try await store.head(key: "captures/c1") == nil)
        #expect(directory.allFiles().isEmpty)
    }

    @Test("A key under an existing object's name is a key conflict")
    func keyConflict() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FilesystemObjectStore(root: directory.url)
        _ = try await store.upload(key: "captures/a", tags: [:], contentType: Self.pcapng, body: TestPayload.body([1]))

        await #expect(throws: ObjectStoreError.keyConflict(key: "captures/a/b")) {
            try await store.upload(key: "captures/a/b", tags: [:], contentType: Self.pcapng, body: TestPayload.body([1]))
        }
    }

    @Test("Invalid tags are refused before anything is written")
    func invalidTags() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = FilesystemObjectStore(root: directory.url)

        await #expect(throws: ObjectStoreError.invalidTags(InvalidObjectTags(tagKey: "owner", reason: .forbiddenCharacter("<")))) {
            try await store.upload(key: "c1", tags: ["owner": "<script>"], contentType: Self.pcapng, body: TestPayload.body([1]))
        }
        #expect(directory.allFiles().isEmpty)
    }
}
