import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Testing
@testable import TapsterObjectStore

@Suite(
    "S3 object store against moto",
    .enabled(if: MotoServer.isInstalled, "moto is not installed for python3 (scripts/install-deps.sh installs moto[server]==5.2.1)"),
    .motoServer
)
struct S3ObjectStoreTests {
    static let pcapng = "application/x-pcapng"
    static let tags = ["owner": "alice@example.com", "tenant": "acme", "tap": "tap-7"]

    /// The server that checks signatures: most tests run here.
    var moto: MotoServer { MotoServer.current!.checking }
    /// The server that does not: for requests whose URL moto's check mangles (see ``MotoServer``).
    var uncheckedMoto: MotoServer { MotoServer.current!.open }

    @Test("A body smaller than one part is one PutObject and downloads byte for byte")
    func smallUpload() async throws {
        let store = try await moto.store()
        let payload = TestPayload.bytes(1_000_000)

        let stored = try await store.upload(key: "captures/small", tags: Self.tags, contentType: Self.pcapng, body: TestPayload.body(payload))
        let download = try await store.download(key: "captures/small")
        let bytes = try await download.body.collect(upTo: 2 << 20)

        #expect(stored.size == 1_000_000)
        #expect(stored.etag == Insecure.MD5.hash(data: payload).map { String(format: "%02x", $0) }.joined())
        #expect(download.size == 1_000_000)
        #expect(download.object.contentType == Self.pcapng)
        #expect(Array(bytes.readableBytesView) == payload)
    }

    @Test("A 12 MiB body with 5 MiB parts is a multipart upload of 3 parts, identical on download")
    func multipartUpload() async throws {
        let store = try await moto.store(partSize: 5 << 20)
        let payload = TestPayload.bytes(12 << 20)

        let stored = try await store.upload(key: "captures/large", tags: Self.tags, contentType: Self.pcapng, body: TestPayload.body(payload))
        let head = try #require(try await store.head(key: "captures/large"))
        let download = try await store.download(key: "captures/large")
        let bytes = try await download.body.collect(upTo: 13 << 20)

        #expect(stored.size == 12 << 20)
        #expect(stored.etag?.hasSuffix("-3") == true)
        #expect(head.etag == stored.etag)
        #expect(head.size == 12 << 20)
        #expect(head.tags == Self.tags)
        #expect(Array(bytes.readableBytesView) == payload)
    }

    @Test("A body of exactly one part is a single PutObject")
    func exactlyOnePart() async throws {
        let store = try await moto.store(partSize: 5 << 20)

        let stored = try await store.upload(key: "one", tags: [:], contentType: Self.pcapng, body: TestPayload.body(TestPayload.bytes(5 << 20)))

        #expect(stored.etag?.contains("-") == false)
        #expect(try await store.head(key: "one")?.size == 5 << 20)
    }

    @Test("An empty body stores an empty object")
    func emptyBody() async throws {
        let store = try await moto.store()

        _ = try await store.upload(key: "empty", tags: [:], contentType: Self.pcapng, body: TestPayload.body([]))

        #expect(try await store.head(key: "empty")?.size == 0)
        #expect(try await store.download(key: "empty").body.collect(upTo: 1).readableBytes == 0)
    }

    @Test("Tags given at upload are the object's tags in S3 (GetObjectTagging)")
    func tagsReadBack() async throws {
        let store = try await moto.store()
        _ = try await store.upload(key: "tagged", tags: Self.tags, contentType: Self.pcapng, body: TestPayload.body([1, 2, 3]))

        #expect(try await store.tags(key: "tagged") == Self.tags)
        #expect(try await store.head(key: "tagged")?.tags == Self.tags)
    }

    @Test("Tags given to a multipart upload are the object's tags")
    func multipartTags() async throws {
        let store = try await moto.store(partSize: 5 << 20)
        _ = try await store.upload(key: "big", tags: Self.tags, contentType: Self.pcapng, body: TestPayload.body(TestPayload.bytes(6 << 20)))

        #expect(try await store.tags(key: "big") == Self.tags)
    }

    /// Against the server without signature checks: moto's check mangles such URLs (see ``MotoServer``).
    @Test("Listing returns only the keys under the prefix, sorted, with sizes and dates")
    func listByPrefix() async throws {
        let store = try await uncheckedMoto.store()
        for key in ["captures/acme/b", "captures/acme/a", "captures/acmex/c", "other/d"] {
            _ = try await store.upload(key: key, tags: Self.tags, contentType: Self.pcapng, body: TestPayload.body([1, 2, 3, 4]))
        }

        let listed = try await store.list(prefix: "captures/acme/")

        #expect(listed.map(\.key) == ["captures/acme/a", "captures/acme/b"])
        #expect(listed.allSatisfy { $0.size == 4 && $0.tags == nil && abs($0.lastModified.timeIntervalSinceNow) < 300 })
    }

    /// Against the server without signature checks: moto's check mangles such URLs (see ``MotoServer``).
    @Test("Listing follows continuation tokens across pages")
    func listPagination() async throws {
        let store = try await uncheckedMoto.store(listPageSize: 2)
        let keys = (0..<5).map { "p/k\($0)" }
        for key in keys {
            _ = try await store.upload(key: key, tags: [:], contentType: Self.pcapng, body: TestPayload.body([1]))
        }

        #expect(try await store.list(prefix: "p/").map(\.key) == keys)
    }

    /// Against the server without signature checks: moto's check mangles such URLs (see ``MotoServer``).
    @Test("Listing with tags gives every object its tags")
    func listWithTags() async throws {
        let store = try await uncheckedMoto.store()
        _ = try await store.upload(key: "t/a", tags: ["owner": "alice"], contentType: Self.pcapng, body: TestPayload.body([1]))
        _ = try await store.upload(key: "t/b", tags: ["owner": "bob"], contentType: Self.pcapng, body: TestPayload.body([1]))

        #expect(try await store.listWithTags(prefix: "t/").map(\.tags) == [["owner": "alice"], ["owner": "bob"]])
    }

    /// Against the server without signature checks: moto's check mangles such URLs (see ``MotoServer``).
    @Test("The configured key prefix is applied in the bucket and hidden from results")
    func keyPrefix() async throws {
        let bucket = "t" + UInt64.random(in: 0 ... .max).hexadecimal
        let prefixed = try await uncheckedMoto.store(bucket: bucket, keyPrefix: "tapster/prod")
        let whole = try await uncheckedMoto.store(bucket: bucket)
        _ = try await prefixed.upload(key: "c1", tags: [:], contentType: Self.pcapng, body: TestPayload.body([1]))

        #expect(try await prefixed.list(prefix: "").map(\.key) == ["c1"])
        #expect(try await whole.list(prefix: "").map(\.key) == ["tapster/prod/c1"])
    }

    /// Against the server without signature checks: moto's check mangles such URLs (see ``MotoServer``).
    @Test("Keys with spaces and non-ASCII characters are signed and stored as given")
    func unusualKeyCharacters() async throws {
        let store = try await uncheckedMoto.store()
        let key = "captures/ä b+c=d~e(1).pcapng"

        _ = try await store.upload(key: key, tags: ["tap": "a b"], contentType: Self.pcapng, body: TestPayload.body([7]))

        #expect(try await store.list(prefix: "captures/").map(\.key) == [key])
        #expect(try await store.tags(key: key) == ["tap": "a b"])
    }

    @Test("Deleting removes the object; deleting again succeeds")
    func delete() async throws {
        let store = try await moto.store()
        _ = try await store.upload(key: "gone", tags: [:], contentType: Self.pcapng, body: TestPayload.body([1]))

        try await store.delete(key: "gone")
        try await store.delete(key: "gone")

        #expect(try await store.head(key: "gone") == nil)
        #expect(try await store.list(prefix: "").isEmpty)
    }

    @Test("Downloading or tagging a missing key throws notFound")
    func missingKey() async throws {
        let store = try await moto.store()

        await #expect(throws: ObjectStoreError.notFound(key: "nothing")) { try await store.download(key: "nothing") }
        await #expect(throws: ObjectStoreError.notFound(key: "nothing")) { try await store.tags(key: "nothing") }
    }

    @Test("A wrong secret key is refused by the server with SignatureDoesNotMatch")
    func wrongSecret() async throws {
        let bucket = "t" + UInt64.random(in: 0 ... .max).hexadecimal
        _ = try await moto.store(bucket: bucket)
        let forged = try await moto.store(bucket: bucket, secretAccessKey: "not-the-secret", createBucket: false)

        let error = await #expect(throws: S3ServiceError.self) {
            try await forged.upload(key: "x", tags: [:], contentType: Self.pcapng, body: TestPayload.body([1]))
        }

        #expect(error?.code == .signatureDoesNotMatch)
        #expect(error?.status == 403)
        #expect(error?.operation == "PutObject")
        #expect(error?.message.isEmpty == false)
    }

    @Test("A body that fails mid-way aborts the multipart upload and stores nothing")
    func failedBodyAbortsMultipart() async throws {
        let store = try await moto.store(partSize: 5 << 20)
        let body = ChunkedBody(bytes: TestPayload.bytes(12 << 20), chunkSize: 1 << 20, failAfter: 11 << 20)

        await #expect(throws: BodyFailure.self) {
            try await store.upload(key: "broken", tags: [:], contentType: Self.pcapng, body: body)
        }

        #expect(try await store.head(key: "broken") == nil)
        #expect(try await multipartUploadsInProgress(store).isEmpty)
    }

    @Test("Cancelling an upload after its first part aborts the multipart upload")
    func cancelledUploadAborts() async throws {
        let store = try await moto.store(partSize: 5 << 20)
        let body = StallingBody(bytes: TestPayload.bytes((5 << 20) + 1))
        let upload = Task { try await store.upload(key: "cancelled", tags: [:], contentType: Self.pcapng, body: body) }

        let started = try await poll(timeout: .seconds(30)) { try await multipartUploadsInProgress(store) == ["cancelled"] }
        upload.cancel()
        let outcome = await upload.result

        #expect(started)
        #expect(throws: CancellationError.self) { try outcome.get() }
        #expect(try await multipartUploadsInProgress(store).isEmpty)
        #expect(try await store.head(key: "cancelled") == nil)
    }

    @Test("Virtual-host addressing puts the bucket in the host name, and the server accepts its signatures")
    func virtualHostAddressing() async throws {
        let bucket = "t" + UInt64.random(in: 0 ... .max).hexadecimal
        // The bucket's host name resolves to moto on loopback, through the client's DNS override only.
        var configuration = HTTPClient.Configuration()
        configuration.dnsOverride = ["\(bucket).s3.test": "127.0.0.1"]
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        do {
            let store = try await moto.store(
                bucket: bucket, endpoint: URL(string: "http://s3.test:\(moto.port)")!, addressing: .virtualHost, httpClient: client)
            _ = try await store.upload(key: "c1", tags: Self.tags, contentType: Self.pcapng, body: TestPayload.body([1, 2, 3]))

            #expect(try await store.tags(key: "c1") == Self.tags)
            #expect(try await moto.store(bucket: bucket, createBucket: false).list(prefix: "").map(\.key) == ["c1"])
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    @Test("Creating a bucket that exists already succeeds")
    func createBucketTwice() async throws {
        let store = try await moto.store()
        try await store.createBucket()
    }

    /// The keys of the bucket's unfinished multipart uploads (`ListMultipartUploads`).
    private func multipartUploadsInProgress(_ store: S3ObjectStore) async throws -> [String] {
        let body = try await store.executeReadingAll(S3Call(
            operation: "ListMultipartUploads", method: .GET, objectName: nil, resource: store.configuration.bucket,
            query: [("uploads", "")])).body
        let root = try #require(S3XMLNode.parse(Data(body.readableBytesView)))
        return root.all("Upload").compactMap { $0.text(of: "Key") }
    }
}
