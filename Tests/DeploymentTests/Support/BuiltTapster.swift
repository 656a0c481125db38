import Foundation
import TapsterSystemTestSupport
import Testing

/// The `tapster` executable this test run built (what the image is made of and the manifests run).
enum BuiltTapster {
    static func path() throws -> String {
        try #require(TapsterBinary.path, "no tapster executable beside the tests (build with --build-tests) and no TAPSTER_BINARY")
    }

    /// What `tapster --version` prints, without the newline.
    static func version() throws -> String {
        try ProcessRunner.run([try path(), "--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The help text of a subcommand (`["agent", "run"]`).
    static func help(_ subcommand: [String]) throws -> String {
        try ProcessRunner.run([try path()] + subcommand + ["--help"]).stdout
    }
}
