import Foundation

/// moto's S3-compatible server (`python3 -m moto.server`) on a free loopback port, for system tests of
/// `tapster serve --capture-store s3://…`. It accepts any credentials (signature checking stays off: the
/// SigV4 signing itself is tested against moto with checking on, in TapsterObjectStoreTests).
public final class MotoS3Server: @unchecked Sendable {
    /// `http://127.0.0.1:PORT`.
    public let endpoint: String
    private let process: BackgroundProcess

    /// The first `python3` on this process's `PATH` that imports `moto.server` (scripts/install-deps.sh
    /// pip-installs it there), if any.
    public static let python: String? = PythonInterpreter.importing("moto.server")

    /// Starts moto and waits (30 s at most) until it answers.
    public init(directory: ScratchDirectory) async throws {
        guard let python = Self.python else { throw MotoMissing() }
        let port = try freeLoopbackPort()
        endpoint = "http://127.0.0.1:\(port)"
        process = try BackgroundProcess(name: "moto-\(port)", [python, "-m", "moto.server", "-H", "127.0.0.1", "-p", String(port)],
                                        directory: directory)
        let process = self.process, endpoint = self.endpoint
        try await eventually(timeout: .seconds(30), "moto on \(endpoint)") { () -> Bool? in
            guard process.isRunning else { throw ProcessEnded(name: process.name, status: process.status ?? -1, stderr: process.stderr) }
            return (try? ProcessRunner.run(["curl", "-sf", "-o", "/dev/null", endpoint + "/"], allowFailure: false)) != nil ? true : nil
        }
    }

    /// Stops moto.
    public func stop() { process.stop() }

    /// The keys in `bucket` (the first 1000).
    public func keys(in bucket: String) throws -> [String] {
        Self.values(of: "Key", in: try get("/\(bucket)?list-type=2"))
    }

    /// An object's tags.
    public func tags(bucket: String, key: String) throws -> [String: String] {
        let xml = try get("/\(bucket)/\(key)?tagging")
        return Dictionary(zip(Self.values(of: "Key", in: xml), Self.values(of: "Value", in: xml)), uniquingKeysWith: { $1 })
    }

    /// A GET signed with any key (moto refuses some anonymous reads, such as tags, but checks no signature).
    private func get(_ path: String) throws -> String {
        try ProcessRunner.run(["curl", "-sf", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "reader:reader", endpoint + path]).stdout
    }

    /// The text of every `<element>…</element>` in `xml`, in order.
    private static func values(of element: String, in xml: String) -> [String] {
        xml.components(separatedBy: "<\(element)>").dropFirst().compactMap { $0.components(separatedBy: "</\(element)>").first }
    }
}

/// moto is not installed for any `python3` on `PATH`.
public struct MotoMissing: Error, CustomStringConvertible {
    public var description: String { "moto's server is not importable by python3 on PATH; run scripts/install-deps.sh" }
}
