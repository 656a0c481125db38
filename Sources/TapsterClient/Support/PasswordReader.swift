import Foundation
import TapsterCore

/// Reads passwords: at a terminal, after a prompt and without echo; otherwise, with
/// `--password-stdin`, one line of standard input (as `docker login --password-stdin`).
public enum PasswordReader {
    /// Reads one password.
    ///
    /// - Parameter fromStandardInput: `--password-stdin` was given: read a line, never prompt.
    public static func read(prompt: String, fromStandardInput: Bool) throws -> String {
        let line: String?
        if fromStandardInput {
            line = readLine(strippingNewline: true)
        } else {
            guard Console.inputIsTerminal else {
                throw CommandFailure.usage("standard input is not a terminal: pass the password with --password-stdin")
            }
            line = readHidden(prompt: prompt)
        }
        guard let password = line.map({ $0.hasSuffix("\r") ? String($0.dropLast()) : $0 }), !password.isEmpty else {
            throw CommandFailure.usage("no password given")
        }
        return password
    }

    /// Reads a new password, asking twice at a terminal.
    public static func readNew(prompt: String, fromStandardInput: Bool) throws -> String {
        let password = try read(prompt: prompt, fromStandardInput: fromStandardInput)
        if !fromStandardInput {
            guard try read(prompt: "Repeat: ", fromStandardInput: false) == password else {
                throw CommandFailure.usage("the two passwords differ")
            }
        }
        return password
    }

    private static func readHidden(prompt: String) -> String? {
        Console.errorText(prompt)
        var saved = termios()
        let canHide = tcgetattr(STDIN_FILENO, &saved) == 0
        if canHide {
            var hidden = saved
            hidden.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden)
        }
        defer {
            if canHide { tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
            Console.errorText("\n")
        }
        return readLine(strippingNewline: true)
    }
}
