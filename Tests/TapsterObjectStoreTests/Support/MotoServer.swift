import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TapsterSystemTestSupport
import Testing
@testable import TapsterObjectStore

/// A real S3-compatible server for the tests: moto (`python3 -m moto.server`) on a free loopback port, with
/// an IAM user whose access key the tests sign with, and (optionally) SigV4 checking switched on.
///
/// moto checks signatures only for access keys its IAM knows, and only once authentication is enabled; so
/// the server is started open, a user with an allow-all policy and an access key are created through its
/// IAM API, and `/moto-api/reset-auth` then makes every later request need a valid signature.
///
/// moto's signature check has one flaw: it recomputes the signature from the URL after werkzeug has
/// percent-decoded it (`/` in a query value, `+`, `(`, spaces and non-ASCII in a key), so any such request
/// fails its check even when correctly signed — boto3 1.43 fails the same way against moto 5.2.1
/// (`list_objects_v2(Prefix="p/")` → SignatureDoesNotMatch). Tests of such requests use a second server
/// without signature checking; the canonical encoding itself is checked against AWS's published example.
final class MotoServer: @unchecked Sendable {  // Process: only run, terminate and wait, from one test at a time
    let port: Int
    let accessKeyID: String
    let secretAccessKey: String
    let httpClient: HTTPClient
    private let process: Process
    let logPath: String

    /// Whether requests must be correctly signed.
    let checksSignatures: Bool

    /// The servers of the current suite (set by ``MotoServerScope``).
    @TaskLocal static var current: MotoServers?

    /// Whether moto's server can be imported by the `python3` on PATH (scripts/install-deps.sh installs it).
    static let isInstalled: Bool = {
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import moto.server"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }()

    var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    private init(
        port: Int, accessKeyID: String, secretAccessKey: String, httpClient: HTTPClient, process: Process, logPath: String,
        checksSignatures: Bool
    ) {
        self.checksSignatures = checksSignatures
        self.port = port
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.httpClient = httpClient
        self.process = process
        self.logPath = logPath
    }

    /// Starts moto, waits until it answers (30 s at most), creates the test user, and switches signature
    /// checking on if `checkingSignatures`.
    static func start(checkingSignatures: Bool) async throws -> MotoServer {
        let port = try freeLoopbackPort()
        let logPath = FileManager.default.temporaryDirectory.appendingPathComponent("tapster-moto-\(port).log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        do {
            try await waitUntilReady(port: port, process: process, client: httpClient, logPath: logPath)
            let (accessKeyID, secret) = try await createUser(port: port, client: httpClient)
            if checkingSignatures {
                try await post(client: httpClient, url: "http://127.0.0.1:\(port)/moto-api/reset-auth", body: "0")
            }
            return MotoServer(
                port: port, accessKeyID: accessKeyID, secretAccessKey: secret, httpClient: httpClient,
                process: process, logPath: logPath, checksSignatures: checkingSignatures)
        } catch {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            try? await httpClient.shutdown()
            throw error
        }
    }

    /// Stops moto (SIGTERM, then SIGKILL after 5 s) and waits for it.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// A store on a fresh bucket of this server, created, with these settings.
    func store(
        bucket: String = "t" + UInt64.random(in: 0 ... .max).hexadecimal, keyPrefix: String = "",
        secretAccessKey: String? = nil, partSize: Int = S3Configuration.minimumPartSize, listPageSize: Int = 1000,
        createBucket: Bool = true, endpoint: URL? = nil, addressing: S3Configuration.Addressing = .path,
        httpClient: HTTPClient? = nil
    ) async throws -> S3ObjectStore {
        let configuration = try S3Configuration(
            endpoint: endpoint ?? self.endpoint, region: "us-east-1", bucket: bucket, keyPrefix: keyPrefix,
            accessKeyID: accessKeyID, secretAccessKey: secretAccessKey ?? self.secretAccessKey, addressing: addressing,
            partSize: partSize, listPageSize: listPageSize)
        let store = S3ObjectStore(configuration: configuration, httpClient: httpClient ?? self.httpClient)
        if createBucket { try await store.createBucket() }
        return store
    }

    // MARK: - Start-up steps

    private static func waitUntilReady(port: Int, process: Process, client: HTTPClient, logPath: String) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        while clock.now < deadline {
            guard process.isRunning else {
                throw MotoStartFailure(reason: "moto exited with status \(process.terminationStatus): \(log(logPath))")
            }
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/moto-api/")
            request.method = .GET
            if let response = try? await client.execute(request, timeout: .seconds(2)) {
                _ = try? await response.body.collect(upTo: 16 << 20)
                if response.status == .ok { return }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw MotoStartFailure(reason: "moto did not answer on port \(port) within 30 s: \(log(logPath))")
    }

    private static func log(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)).map { String($0.suffix(2000)) } ?? "(no log)"
    }

    /// Creates IAM user `tapster-test` with an allow-all inline policy and an access key; returns the key.
    private static func createUser(port: Int, client: HTTPClient) async throws -> (String, String) {
        let user = "tapster-test"
        _ = try await iam(["Action": "CreateUser", "UserName": user], port: port, client: client)
        let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
        _ = try await iam(
            ["Action": "PutUserPolicy", "UserName": user, "PolicyName": "all", "PolicyDocument": policy], port: port, client: client)
        let answer = try await iam(["Action": "CreateAccessKey", "UserName": user], port: port, client: client)
        guard let root = S3XMLNode.parse(Data(answer.readableBytesView)),
            let key = root.child("CreateAccessKeyResult")?.child("AccessKey"),
            let id = key.text(of: "AccessKeyId"), let secret = key.text(of: "SecretAccessKey")
        else { throw MotoStartFailure(reason: "CreateAccessKey answered \(String(buffer: answer))") }
        return (id, secret)
    }

    /// One IAM query-API call, signed for service `iam` (moto routes requests by the signature's scope).
    private static func iam(_ parameters: [String: String], port: Int, client: HTTPClient) async throws -> ByteBuffer {
        let form = (parameters.merging(["Version": "2010-05-08"]) { $1 })
            .sorted { $0.key < $1.key }
            .map { AWSURIEncoding.query($0.key) + "=" + AWSURIEncoding.query($0.value) }
            .joined(separator: "&")
        let host = "127.0.0.1:\(port)"
        let signer = SigV4Signer(accessKeyID: "AKIAMOTOBOOTSTRAP", secretAccessKey: "bootstrap", region: "us-east-1", service: "iam")
        let contentType = "application/x-www-form-urlencoded; charset=utf-8"
        let authentication = signer.sign(
            SigV4Signer.Request(
                method: "POST", encodedPath: "/", headers: [("host", host), ("content-type", contentType)],
                payloadHash: SigV4Signer.payloadHash(Array(form.utf8))),
            at: Date())
        var request = HTTPClientRequest(url: "http://\(host)/")
        request.method = .POST
        request.headers.add(name: "host", value: host)
        request.headers.add(name: "content-type", value: contentType)
        for (name, value) in authentication { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: form))
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw MotoStartFailure(reason: "IAM \(parameters["Action"]!) answered \(response.status): \(String(buffer: body))")
        }
        return body
    }

    private static func post(client: HTTPClient, url: String, body: String) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(10))
        let answer = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw MotoStartFailure(reason: "\(url) answered \(response.status): \(String(buffer: answer))")
        }
    }
}

/// moto could not be started or prepared.
struct MotoStartFailure: Error, CustomStringConvertible {
    var reason: String
    var description: String { "moto server: \(reason)" }
}

/// The two moto servers of a suite: one checking signatures, one not (see ``MotoServer``).
struct MotoServers: Sendable {
    let checking: MotoServer
    let open: MotoServer
}

/// Runs a suite with its moto servers (``MotoServer/current``), stopped when the suite ends, pass or fail.
struct MotoServerScope: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        async let checkingStart = attempt { try await MotoServer.start(checkingSignatures: true) }
        async let openStart = attempt { try await MotoServer.start(checkingSignatures: false) }
        let started = await (checkingStart, openStart)
        guard case .success(let checking) = started.0, case .success(let open) = started.1 else {
            for case .success(let server) in [started.0, started.1] {
                server.stop()
                try? await server.httpClient.shutdown()
            }
            for case .failure(let error) in [started.0, started.1] { throw error }
            return
        }
        defer {
            checking.stop()
            open.stop()
        }
        do {
            try await MotoServer.$current.withValue(MotoServers(checking: checking, open: open)) { try await function() }
        } catch {
            try? await checking.httpClient.shutdown()
            try? await open.httpClient.shutdown()
            throw error
        }
        try await checking.httpClient.shutdown()
        try await open.httpClient.shutdown()
    }
}

/// `body`'s value or error.
private func attempt<Value>(_ body: () async throws -> Value) async -> Result<Value, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}

extension Trait where Self == MotoServerScope {
    /// Start moto for the suite.
    static var motoServer: Self { Self() }
}
