import Foundation

/// Wireshark's command-line tools (tshark, capinfos, mergecap): the references for what Tapster writes.
public enum WiresharkTools {
    /// Where `name` is installed, if it is.
    public static func path(_ name: String) -> String? {
        ["/usr/bin", "/usr/local/bin", "/usr/sbin"].map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// tshark, capinfos and mergecap are all installed.
    public static var available: Bool { ["tshark", "capinfos", "mergecap"].allSatisfy { path($0) != nil } }

    /// What a tool printed, and how it exited.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String

        /// stderr without tshark's note about running as root.
        public var warnings: [String] {
            stderr.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("Running as user \"root\"") && !$0.isEmpty }
        }

        /// stdout's non-empty lines.
        public var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    }

    /// A Wireshark tool is not installed.
    public struct NotInstalled: Error, CustomStringConvertible {
        public let tool: String
        public var description: String { "\(tool) is not installed (scripts/install-deps.sh installs it)" }
    }

    /// A tool failed, or warned where it must not.
    public struct Complaint: Error, CustomStringConvertible {
        public let tool: String
        public let output: Output
        public var description: String { "\(tool) exited \(output.status): \(output.stderr)" }
    }

    /// Runs `tool` with `arguments` to completion; its output is collected through files, so a large one
    /// cannot block it.
    public static func run(_ tool: String, _ arguments: [String]) throws -> Output {
        guard let path = path(tool) else { throw NotInstalled(tool: tool) }
        let output = try ProcessRunner.run([path] + arguments, allowFailure: true)
        return Output(status: output.status, stdout: output.stdout, stderr: output.stderr)
    }

    /// `tshark -r file -T fields -E separator=| [extra…] -e f1 -e f2 …`: one array of field values per
    /// packet.
    /// - Throws: ``Complaint`` when tshark fails or warns.
    public static func fields(_ file: URL, _ fields: [String], extra: [String] = []) throws -> [[String]] {
        let output = try run("tshark", ["-r", file.path, "-T", "fields", "-E", "separator=|"] + extra + fields.flatMap { ["-e", $0] })
        guard output.status == 0, output.warnings.isEmpty else { throw Complaint(tool: "tshark", output: output) }
        return output.lines.map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Writes `bytes` to a temporary file for the tools, removed when `body` returns or throws.
    public static func withFile<T>(_ bytes: [UInt8], _ body: (URL) async throws -> T) async throws -> T {
        let directory = try ScratchDirectory(label: "wireshark-input")
        defer { directory.remove() }
        let file = directory.url.appendingPathComponent("input.pcapng")
        try Data(bytes).write(to: file)
        return try await body(file)
    }
}
