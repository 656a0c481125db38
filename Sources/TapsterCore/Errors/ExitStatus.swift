/// The exit statuses of `tapster` and `tapster-agent`: the client verbs', and an agent's that cannot start.
public enum ExitStatus {
    public static let success: Int32 = 0
    /// The API refused or failed the request, or the command failed (e.g. a broken audit chain).
    public static let failure: Int32 = 1
    /// The command line is wrong (unknown flag, missing argument, bad value).
    public static let usage: Int32 = 2
    /// The server could not be reached.
    public static let unreachable: Int32 = 3
    /// `tapster capture -w`: the server went away midway; the file is a valid pcapng up to then, ended by
    /// the client with a statistics block per interface.
    public static let serverLost: Int32 = 4
}
