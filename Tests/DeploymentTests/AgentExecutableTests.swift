import Foundation
import TapsterSystemTestSupport
import Testing

/// `tapster-agent`, built beside `tapster`: the agent's command alone (Package.swift says why), with exactly the
/// options and the version of `tapster agent`.
@Suite("tapster-agent")
struct AgentExecutableTests {
    @Test func takesTheOptionsAndVersionOfTapsterAgent() throws {
        let tapster = try BuiltTapster.path()
        let agent = URL(fileURLWithPath: tapster).deletingLastPathComponent().appendingPathComponent("tapster-agent").path
        try #require(FileManager.default.isExecutableFile(atPath: agent), "no tapster-agent beside \(tapster)")
        let own = Self.optionNames(in: try ProcessRunner.run([agent, "--help"]).stdout)
        #expect(own.contains("--server") && own.contains("--join-token-file") && own.contains("--datapath"))
        #expect(own == Self.optionNames(in: try BuiltTapster.help(["agent", "run"])))
        #expect(try ProcessRunner.run([agent, "--version"]).stdout == "\(try BuiltTapster.version())\n")
    }

    /// An agent that cannot start says why as every tapster command does — one line with a stable code, exit
    /// status 1 — from either executable.
    @Test(arguments: [["tapster-agent"], ["tapster", "agent"]])
    func anAgentThatCannotStartSaysWhyOnOneLineWithItsCode(command: [String]) async throws {
        let directory = URL(fileURLWithPath: try BuiltTapster.path()).deletingLastPathComponent()
        let scratch = try ScratchDirectory(label: "unenrolled")
        defer { scratch.remove() }
        let data = scratch.url.appendingPathComponent("agent-data").path
        let name = "unenrolled-\(ProcessInfo.processInfo.processIdentifier)-\(command.count)"
        let run = try await ProcessRunner.output([directory.appendingPathComponent(command[0]).path] + command.dropFirst()
                                                  + ["--server", "127.0.0.1:9", "--name", name, "--data-dir", data])

        #expect(run.status == 1)
        #expect(run.stderr.hasSuffix("error: this agent is not enrolled (no certificate in \(data)): "
                                     + "give --join-token from `tapster agent token create` (join_token_required)\n"), "\(run.stderr)")
    }

    /// A command line that makes no sense is one line too, exit status 2, from either executable.
    @Test(arguments: [["tapster-agent"], ["tapster", "agent"]])
    func aServerAddressThatIsNoneIsAUsageError(command: [String]) async throws {
        let directory = URL(fileURLWithPath: try BuiltTapster.path()).deletingLastPathComponent()
        let run = try await ProcessRunner.output([directory.appendingPathComponent(command[0]).path] + command.dropFirst()
                                                  + ["--server", "127.0.0.1:notaport"])

        #expect(run.status == 2)
        #expect(run.stderr == "error: \"127.0.0.1:notaport\" is not a server address: use HOST:PORT, [IPv6]:PORT or HOST; "
                + "see --help (usage)\n", "\(run.stderr)")
    }

    /// The long option names a help text lists under OPTIONS (`  --name <name>`, `  -h, --help`).
    private static func optionNames(in help: String) -> Set<String> {
        guard let start = help.range(of: "OPTIONS:") else { return [] }
        return Set(help[start.upperBound...].split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  -") else { return nil }
            return line.split(separator: " ").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ",")) }
                .first { $0.hasPrefix("--") }
        })
    }
}
