/// An error that ends a command, worded for its user: a stable `code` that scripts can match, and a `message`.
///
/// Both executables (`tapster` and `tapster-agent`) print one as ``line``, so that an agent that cannot start
/// reads like every other command that failed.
public protocol CodedError: Error {
    /// Stable, snake_case: `already_running`, `enrolment_refused`, ….
    var code: String { get }
    /// What went wrong and, where there is one, what to do.
    var message: String { get }
}

extension CodedError {
    /// `error: <message> (<code>)` on one line, without a trailing newline: the message's lines joined by spaces.
    public var line: String { "error: \(message.oneLine) (\(code))" }
}

extension String {
    /// The text's lines, trimmed, joined by single spaces, blank ones left out: a message fit for one line.
    package var oneLine: String {
        split(whereSeparator: \.isNewline).map { $0.trimming(.whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
    }
}
