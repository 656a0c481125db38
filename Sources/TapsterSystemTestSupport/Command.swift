import Foundation

/// Runs a command to completion and returns what it printed; throws ``CommandFailed`` on a non-zero exit.
@discardableResult
public func runCommand(_ arguments: [String], input: String? = nil, allowFailure: Bool = false) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    process.environment = environment
    let out = Pipe(), err = Pipe(), stdin = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
    try? stdin.fileHandleForWriting.close()
    // Read both pipes before waiting so a chatty command cannot block on a full pipe.
    let errData = DispatchQueue(label: "stderr")
    var stderrBytes = Data()
    let group = DispatchGroup()
    group.enter()
    errData.async { stderrBytes = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let stdoutBytes = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    let stdout = String(decoding: stdoutBytes, as: UTF8.self)
    if process.terminationStatus != 0, !allowFailure {
        throw CommandFailed(arguments: arguments, status: process.terminationStatus,
                            stderr: String(decoding: stderrBytes, as: UTF8.self))
    }
    return stdout
}

/// A command exited non-zero.
public struct CommandFailed: Error, CustomStringConvertible {
    public let arguments: [String]
    public let status: Int32
    public let stderr: String
    public var description: String { "`\(arguments.joined(separator: " "))` exited \(status): \(stderr)" }
}
