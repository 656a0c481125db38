@testable import TapsterAgent
import Testing

/// One running agent of a name per host (``AgentInstanceLock``): the second of a name refuses to start, and the name
/// is free again as soon as the first is gone.
@Suite("Agent instance lock")
struct AgentInstanceLockTests {
    /// A name no other test (or process) uses.
    static func freshName() -> String { "lock-test-\(UInt64.random(in: 0...UInt64.max))" }

    @Test("A second agent of a name cannot start while the first runs; the error names the lock")
    func aSecondAgentOfTheNameIsRefused() throws {
        let name = Self.freshName()
        let first = try AgentInstanceLock(agent: name)
        defer { withExtendedLifetime(first) {} }

        #expect(throws: AgentError.alreadyRunning(name: name, lock: "@tapster-agent/\(name)")) {
            _ = try AgentInstanceLock(agent: name)
        }
    }

    @Test("The name is free again once the agent holding it is gone")
    func theNameIsFreeOnceTheAgentIsGone() throws {
        let name = Self.freshName()
        _ = try AgentInstanceLock(agent: name)

        let next = try AgentInstanceLock(agent: name)
        withExtendedLifetime(next) {}
    }

    @Test("Agents of different names run side by side")
    func agentsOfOtherNamesRunSideBySide() throws {
        let first = try AgentInstanceLock(agent: Self.freshName())
        let second = try AgentInstanceLock(agent: Self.freshName())
        withExtendedLifetime((first, second)) {}
    }

    @Test("A name too long for a socket address is cut, and keeps its hash so that long names stay apart")
    func longNamesAreCutWithTheirHash() throws {
        let stem = String(repeating: "n", count: 200)
        let (a, b) = (AgentInstanceLock.abstractName(of: stem + "a"), AgentInstanceLock.abstractName(of: stem + "b"))

        #expect(a.utf8.count == AgentInstanceLock.maximumLength)
        #expect(a != b)
        #expect(a.hasPrefix("tapster-agent/nnnn"))
        let first = try AgentInstanceLock(agent: stem + "a")
        let second = try AgentInstanceLock(agent: stem + "b")
        withExtendedLifetime((first, second)) {}
    }
}
