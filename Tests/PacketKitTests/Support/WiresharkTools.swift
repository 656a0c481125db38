import Foundation
import Testing

/// Runs Wireshark's command-line tools (tshark, capinfos, mergecap), the references for what we write.
enum WiresharkTools {
    static func path(_ name: String) -> String? {
        ["/usr/bin", "/usr/local/bin", "/usr/sbin"].map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var available: Bool { ["tshark", "capinfos", "mergecap"].allSatisfy { path($0) != nil } }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String

        /// stderr without tshark's note about running as root.
        var warnings: [String] {
            stderr.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("Running as user \"root\"") && !$0.isEmpty }
        }

        var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    }

    /// Runs `tool` with `arguments`; stdout and stderr are collected through files so large outputs cannot block.
    static func run(_ tool: String, _ arguments: [String]) throws -> Output {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapster-tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("out"), errURL = directory.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
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
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// `tshark -r file -T fields -E separator=| -e f1 -e f2 …`, one array of field values per packet.
    static func fields(_ file: URL, _ fields: [String], extra: [String] = []) throws -> [[String]] {
        let output = try run("tshark", ["-r", file.path, "-T", "fields", "-E", "separator=|"] + extra + fields.flatMap { ["-e", $0] })
        #expect(output.status == 0, "tshark failed: \(output.stderr)")
        #expect(output.warnings.isEmpty, "tshark warned: \(output.warnings)")
        return output.lines.map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
    }
}

/// A fresh directory under the system's temporary directory, removed when `body` returns or throws.
func withScratchDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tapster-packetkit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}
