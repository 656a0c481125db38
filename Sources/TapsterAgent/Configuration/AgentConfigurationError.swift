/// A configuration file the agent cannot use: where (file, line, key) and what is wrong.
///
/// Its description reads like a compiler's: `/etc/tapster/agent.yaml:7: workloads[0].match: unknown key
/// "nets" (allowed: netns, process, interface)`.
public struct AgentConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file, as given to the loader.
    public var file: String
    /// The 1-based line at fault, when known.
    public var line: Int?
    /// The key path at fault (`labels`, `workloads[1].match.netns`), when there is one.
    public var key: String?
    /// What is wrong, for a human.
    public var problem: String

    /// Describes a problem in `file`.
    public init(file: String, line: Int? = nil, key: String? = nil, problem: String) {
        self.file = file
        self.line = line
        self.key = key
        self.problem = problem
    }

    /// `file:line: key: problem`, leaving out what is unknown.
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        text += ": "
        if let key { text += "\(key): " }
        return text + problem
    }
}
