import Foundation
import Testing
@testable import TapsterObjectStore

@Suite("S3 configuration")
struct S3ConfigurationTests {
    let credentials = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"]

    @Test("A storage URL with an endpoint gives path-style addressing, the prefix and the environment's credentials")
    func parseWithEndpoint() throws {
        let configuration = try S3Configuration(
            parsing: "s3://captures/tapster/prod?endpoint=http://127.0.0.1:9000&region=eu-west-1", environment: credentials)

        #expect(configuration.bucket == "captures")
        #expect(configuration.keyPrefix == "tapster/prod/")
        #expect(configuration.endpoint.absoluteString == "http://127.0.0.1:9000")
        #expect(configuration.region == "eu-west-1")
        #expect(configuration.addressing == .path)
        #expect(configuration.accessKeyID == "AKIDEXAMPLE")
        #expect(configuration.secretAccessKey == "secret")
        #expect(configuration.partSize == 8 << 20)
    }

    @Test("Without an endpoint the URL means AWS, virtual-host addressing, region from AWS_REGION")
    func parseAWS() throws {
        var environment = credentials
        environment["AWS_REGION"] = "ap-south-1"
        let configuration = try S3Configuration(parsing: "s3://captures", environment: environment)

        #expect(configuration.endpoint.absoluteString == "https://s3.ap-south-1.amazonaws.com")
        #expect(configuration.addressing == .virtualHost)
        #expect(configuration.keyPrefix == "")
        #expect(S3Target(configuration: configuration, objectName: "a b", query: []).url == "https://captures.s3.ap-south-1.amazonaws.com/a%20b")
    }

    @Test("Path-style URLs put the bucket first in the path")
    func pathStyleTarget() throws {
        let configuration = try S3Configuration(parsing: "s3://captures?endpoint=http://127.0.0.1:9000", environment: credentials)

        let target = S3Target(configuration: configuration, objectName: "x/y", query: [("uploadId", "a/b=")])

        #expect(target.host == "127.0.0.1:9000")
        #expect(target.url == "http://127.0.0.1:9000/captures/x/y?uploadId=a%2Fb%3D")
    }

    @Test("Missing credentials name the environment variables to set")
    func missingCredentials() {
        #expect(throws: S3ConfigurationError.missingCredentials(["AWS_SECRET_ACCESS_KEY"])) {
            try S3Configuration(parsing: "s3://captures", environment: ["AWS_ACCESS_KEY_ID": "AKID"])
        }
    }

    @Test("A part size under 5 MiB is refused")
    func smallPartSize() {
        #expect(throws: S3ConfigurationError.invalidPartSize(4 << 20)) {
            try S3Configuration(parsing: "s3://captures?part-size=4MiB", environment: credentials)
        }
    }

    @Test("An unknown parameter is refused rather than ignored")
    func unknownParameter() {
        #expect(throws: S3ConfigurationError.unknownParameter("regoin")) {
            try S3Configuration(parsing: "s3://captures?regoin=eu-west-1", environment: credentials)
        }
    }

    @Test("Invalid bucket names and endpoints are refused", arguments: [
        ("s3://-captures", S3ConfigurationError.invalidBucketName("-captures")),
        ("s3://ab", .invalidBucketName("ab")),
        ("s3://captures?endpoint=ftp://host", .invalidEndpoint("ftp://host", reason: "the scheme must be http or https")),
        ("http://captures", .invalidURL("http://captures", reason: "the scheme must be s3")),
    ])
    func invalid(url: String, error: S3ConfigurationError) {
        #expect(throws: error) { try S3Configuration(parsing: url, environment: credentials) }
    }

    @Test("The description never shows the secret key")
    func descriptionHidesSecret() throws {
        let configuration = try S3Configuration(parsing: "s3://captures", environment: credentials)
        #expect(!"\(configuration)".contains("secret"))
    }
}
