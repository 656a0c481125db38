import Foundation
import Testing
@testable import TapsterObjectStore

@Suite("AWS Signature Version 4")
struct SigV4SignerTests {
    /// The `GET Object` example of AWS's S3 SigV4 documentation (header-based authentication).
    @Test("AWS's published GetObject example signs to AWS's published signature")
    func awsExample() {
        let signer = SigV4Signer(
            accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region: "us-east-1", service: "s3")
        let request = SigV4Signer.Request(
            method: "GET", encodedPath: "/test.txt",
            headers: [("Host", "examplebucket.s3.amazonaws.com"), ("Range", "bytes=0-9")],
            payloadHash: SigV4Signer.emptyPayloadHash)

        let headers = signer.sign(request, at: Date(timeIntervalSince1970: 1_369_353_600))

        #expect(headers.first { $0.name == "x-amz-date" }?.value == "20130524T000000Z")
        #expect(headers.first { $0.name == "authorization" }?.value == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test("The canonical query is encoded and sorted, with empty values kept as 'name='")
    func canonicalQuery() {
        let request = SigV4Signer.Request(
            method: "GET", encodedPath: "/b",
            query: [("prefix", "a b/c"), ("list-type", "2"), ("uploads", "")],
            headers: [("host", "h")], payloadHash: "UNSIGNED-PAYLOAD")

        let canonical = SigV4Signer.canonicalRequest(request).request

        #expect(canonical.split(separator: "\n", omittingEmptySubsequences: false)[2] == "list-type=2&prefix=a%20b%2Fc&uploads=")
    }

    @Test("Paths keep their slashes and encode everything but unreserved characters")
    func pathEncoding() {
        #expect(AWSURIEncoding.path("captures/a b+c~é.pcapng") == "captures/a%20b%2Bc~%C3%A9.pcapng")
    }
}
