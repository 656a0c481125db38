import Foundation
import TapsterProcess

/// Where the CLI writes: standard output for results, standard error for messages and
/// errors. Unbuffered, so the two keep their order on a terminal.
public enum Console {
    /// Writes `text` to standard output as is.
    ///
    /// - Throws: ``OutputClosed`` when the reader of the pipe went away (`tapster … | head`): the command ends
    ///   quietly; a `cannot_write` ``CommandFailure`` when the write failed otherwise (a full disk).
    public static func out(_ text: String) throws {
        try OutputClosed.check(DescriptorWriter.writeAll(text, to: STDOUT_FILENO), writing: "standard output")
    }

    /// Writes `line` and a newline to standard error.
    public static func error(_ line: String) {
        errorText(line + "\n")
    }

    /// Writes `text` to standard error as is (a progress line that redraws itself). A failure is not reported:
    /// standard error is where it would go.
    public static func errorText(_ text: String) {
        _ = DescriptorWriter.writeAll(text, to: STDERR_FILENO)
    }

    /// Whether standard input is a terminal (so that the user can be prompted).
    public static var inputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }
}
