import Glibc
@testable import TapsterAgent
import TapsterSystemTestSupport
import Testing

/// One running agent of a name per host (``AgentInstanceLock``): the second of a name refuses to start, the name is
/// free again as soon as the first is gone, and a process that is not an agent cannot keep an agent away.
@Suite("Agent instance lock")
struct AgentInstanceLockTests {
    /// A name no other test (or process) uses.
    static func freshName() -> String { "lock-test-\(UInt64.random(in: 0...UInt64.max))" }

    /// A socket bound to the abstract name `name` the way a process that is not an agent might (a plain `bind`, then
    /// `listen` when `listening`): its descriptor, or the negated errno of the `bind` that failed.
    static func bindAbstract(_ name: String, listening: Bool, backlog: Int32 = 1) -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return -errno }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(name.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (offset, byte) in bytes.enumerated() { path[offset + 1] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + 1 + bytes.count)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        guard bound == 0, !listening || listen(descriptor, backlog) == 0 else {
            let error = errno
            close(descriptor)
            return -error
        }
        return descriptor
    }

    @Test("A second agent of a name cannot start while the first runs; the error names the lock and the holder's pid")
    func aSecondAgentOfTheNameIsRefused() async throws {
        let name = Self.freshName()
        let first = try await AgentInstanceLock(agent: name)
        defer { withExtendedLifetime(first) {} }

        await #expect(throws: AgentError.alreadyRunning(name: name, lock: "@tapster-agent/\(name)", pid: getpid())) {
            _ = try await AgentInstanceLock(agent: name)
        }
    }

    @Test("The lock is the abstract name tapster-agent/<name> exactly: binding it otherwise fails while the agent holds it")
    func theLockIsTheDocumentedAbstractName() async throws {
        let name = Self.freshName()
        let lock = try await AgentInstanceLock(agent: name)
        defer { withExtendedLifetime(lock) {} }

        #expect(Self.bindAbstract("tapster-agent/\(name)", listening: false) == -EADDRINUSE)
    }

    @Test("The name is free again once the agent holding it is gone")
    func theNameIsFreeOnceTheAgentIsGone() async throws {
        let name = Self.freshName()
        _ = try await AgentInstanceLock(agent: name)

        let next = try await AgentInstanceLock(agent: name)
        #expect(next.squatter == nil)
    }

    @Test("Agents of different names run side by side")
    func agentsOfOtherNamesRunSideBySide() async throws {
        let first = try await AgentInstanceLock(agent: Self.freshName())
        let second = try await AgentInstanceLock(agent: Self.freshName())
        #expect(first.squatter == nil && second.squatter == nil)
    }

    @Test("A process that binds the name without listening is no agent: the agent starts, without the lock, and says who holds it")
    func aHolderThatDoesNotListenIsNoAgent() async throws {
        let name = Self.freshName()
        let squatter = Self.bindAbstract("tapster-agent/\(name)", listening: false)
        try #require(squatter >= 0)
        defer { close(squatter) }

        let lock = try await AgentInstanceLock(agent: name)

        #expect(lock.squatter == AgentInstanceLock.Holder(pid: nil, uid: nil))
    }

    @Test("A listening holder of this agent's user counts as an agent: the next one is refused")
    func aListeningHolderOfTheSameUserIsAnAgent() async throws {
        let name = Self.freshName()
        let holder = Self.bindAbstract("tapster-agent/\(name)", listening: true)
        try #require(holder >= 0)
        defer { close(holder) }

        await #expect(throws: AgentError.alreadyRunning(name: name, lock: "@tapster-agent/\(name)", pid: getpid())) {
            _ = try await AgentInstanceLock(agent: name)
        }
    }

    @Test("A process that keeps its queue of connections full is no agent (agents empty theirs): the agent starts without the lock")
    func aHolderWithAFullQueueIsNoAgent() async throws {
        let name = Self.freshName()
        let holder = Self.bindAbstract("tapster-agent/\(name)", listening: true, backlog: 0)
        try #require(holder >= 0)
        defer { close(holder) }
        // One connection never accepted fills a queue of 0.
        let filler = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        defer { close(filler) }
        let connected = AgentInstanceLock.withAddress(AgentInstanceLock.address("tapster-agent/\(name)")) { connect(filler, $0, $1) }
        try #require(connected == 0)

        let lock = try await AgentInstanceLock(agent: name)

        #expect(lock.squatter == AgentInstanceLock.Holder(pid: nil, uid: nil))
    }

    @Test("An agent empties its lock's queue: forty agents of its name asking in turn are each refused with its pid")
    func manyAskersDoNotFillAnAgentsQueue() async throws {
        let name = Self.freshName()
        let first = try await AgentInstanceLock(agent: name)
        defer { withExtendedLifetime(first) {} }

        for _ in 0..<40 {
            await #expect(throws: AgentError.alreadyRunning(name: name, lock: "@tapster-agent/\(name)", pid: getpid())) {
                _ = try await AgentInstanceLock(agent: name)
            }
        }
    }

    @Test("A process of another user listening on the name is no agent: the agent starts, without the lock, and names it")
    func aListenerOfAnotherUserIsNoAgent() async throws {
        let name = Self.freshName()
        let scratch = try ScratchDirectory(label: "lock-holder")
        defer { scratch.remove() }
        // Binds and listens as nobody (65534): what an unprivileged local user could do.
        let holder = try BackgroundProcess(name: "lock-holder", ["/usr/bin/python3", "-c", """
            import os, socket, sys, time
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(b"\\0tapster-agent/" + sys.argv[1].encode())
            s.listen(1)
            print("listening", flush=True)
            time.sleep(600)
            """, name], directory: scratch)
        defer { holder.stop() }
        try await holder.waitForOutput("listening")

        let lock = try await AgentInstanceLock(agent: name)

        #expect(lock.squatter == AgentInstanceLock.Holder(pid: holder.pid, uid: 65534))
    }

    @Test("A name too long for a socket address is cut, and keeps its hash so that long names stay apart")
    func longNamesAreCutWithTheirHash() async throws {
        let stem = String(repeating: "n", count: 200)
        let (a, b) = (AgentInstanceLock.abstractName(of: stem + "a"), AgentInstanceLock.abstractName(of: stem + "b"))

        #expect(a.utf8.count == AgentInstanceLock.maximumLength)
        #expect(a != b)
        #expect(a.hasPrefix("tapster-agent/nnnn"))
        let first = try await AgentInstanceLock(agent: stem + "a")
        let second = try await AgentInstanceLock(agent: stem + "b")
        #expect(first.squatter == nil && second.squatter == nil)
    }
}
