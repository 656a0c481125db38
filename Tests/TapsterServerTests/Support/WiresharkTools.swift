import Foundation
import Testing

/// Wireshark's command-line tools (tshark, capinfos), the reference for what the capture broker writes.
enum WiresharkTools {
    static func path(_ name: String) -> String? {
        ["/usr/bin", "/usr/local/bin"].map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var available: Bool { path("tshark") != nil && path("capinfos") != nil }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String

        /// stderr without tshark's note about running as root.
        var warnings: [String] {
            stderr.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("Running as user \"root\"") && !$0.isEmpty }
        }

        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// Runs `tool`; its output is collected through files, so a large one cannot block it.
    static func run(_ tool: String, _ arguments: [String]) throws -> Output {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapster-tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("out"), errURL = directory.appendingPathComponent("err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(path(tool), "\(tool) is not installed"))
        process.arguments = arguments
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return Output(status: process.terminationStatus, stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// `tshark -r file -T fields -e …`: one array of values per packet; tshark must not warn.
    static func fields(_ file: URL, _ fields: [String]) throws -> [[String]] {
        let output = try run("tshark", ["-r", file.path, "-T", "fields", "-E", "separator=|"] + fields.flatMap { ["-e", $0] })
        #expect(output.status == 0, "tshark failed: \(output.stderr)")
        #expect(output.warnings.isEmpty, "tshark warned: \(output.warnings)")
        return output.lines.map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Writes `bytes` to a temporary file for the tools, removed afterwards.
    static func withFile<T>(_ bytes: [UInt8], _ body: (URL) async throws -> T) async throws -> T {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tapster-capture-\(UUID().uuidString).pcapng")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try await body(file)
    }
}
