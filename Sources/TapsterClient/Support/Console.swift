import Foundation

/// Where the CLI writes: standard output for results, standard error for messages and
/// errors. Unbuffered, so the two keep their order on a terminal.
public enum Console {
    /// Writes `text` to standard output as is.
    public static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes `line` and a newline to standard error.
    public static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Whether standard input is a terminal (so that the user can be prompted).
    public static var inputIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }
}
