/// The `process` part of a rule's match: which processes' namespaces the rule labels, decided on what a
/// process cannot choose for itself. A process names itself (its `comm`, hence its `pid-<pid>-<comm>`
/// workload name) and can create interfaces of any name in its own namespace, but it cannot change the
/// user it runs as without privilege, so a process rule always names a uid; the executable path narrows it.
public struct ProcessMatch: Sendable, Hashable {
    /// The real user id the process must run as (the first `Uid:` field of `/proc/<pid>/status`).
    public var uid: UInt32
    /// Matches the path of the process's executable as the kernel records it (`/proc/<pid>/exe`), when given.
    public var executable: GlobPattern?

    /// A match on processes of user `uid`, running an executable `executable` matches (any, when nil).
    public init(uid: UInt32, executable: GlobPattern? = nil) {
        self.uid = uid
        self.executable = executable
    }

    /// Whether the process `process` matches: its uid equals ``uid`` and, when a pattern is given, its
    /// executable is known and matches it as a path (``GlobPattern/matches(path:)``).
    public func matches(_ process: ProcessIdentity) -> Bool {
        guard process.uid == uid else { return false }
        guard let executable else { return true }
        guard let path = process.executable else { return false }
        return executable.matches(path: path)
    }
}

/// What the kernel says about the process standing for a namespace, as opposed to what the process says
/// about itself: its real user id and the path of its executable.
public struct ProcessIdentity: Sendable, Hashable {
    /// The real user id.
    public var uid: UInt32
    /// The executable's path (`/proc/<pid>/exe`); nil when it cannot be read (a kernel thread).
    public var executable: String?

    /// A process of user `uid` running `executable`.
    public init(uid: UInt32, executable: String?) {
        self.uid = uid
        self.executable = executable
    }
}
