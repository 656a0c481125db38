#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import TapsterProcess

/// How the `tapster agent` process keeps its resident memory small (Benchmarks/README.md, "Where the agent's
/// memory goes"): glibc's allocator and SwiftNIO's thread pools are sized for a server on every core, and
/// the agent is one small process per host that mostly waits.
///
/// ``configureProcess()`` is for the agent's own process only, called first, before any thread or event loop
/// starts: a server (and a test process) keeps the defaults.
public enum AgentProcessMemory {
    /// glibc's default is one arena per thread that allocates, up to 8 per core, and an arena keeps what
    /// was freed in it: each capture thread, event loop and pool thread left its own megabytes behind. Two
    /// arenas: the capture path allocates nothing per packet, so threads seldom contend.
    static let arenaLimit: Int32 = 2
    /// Blocks from this size up are mapped on their own and unmapped when freed. Setting it also stops glibc
    /// from raising it (up to 32 MiB) each time such a block is freed, after which a capture's buffers would
    /// come from the arenas and stay resident after the capture.
    static let mmapThreshold: Int32 = 128 << 10
    /// Free memory at the top of an arena above this is returned to the kernel (glibc's default, fixed: it
    /// too grows with the mmap threshold otherwise).
    static let trimThreshold: Int32 = 128 << 10
    /// One event loop carries the control channel, capture uploads and container runtime calls: a few
    /// messages a second, and one stream per live capture. NIO's default is one loop per core.
    static let eventLoops = 1

    /// Sizes the allocator and NIO's singleton thread pools for the agent. Call once, first thing in the
    /// agent's process; what the environment sets (`MALLOC_ARENA_MAX` and the like or `GLIBC_TUNABLES`,
    /// `NIO_SINGLETON_GROUP_LOOP_COUNT`, `NIO_SINGLETON_BLOCKING_POOL_THREAD_COUNT`) wins, so an operator can undo
    /// it without a rebuild.
    public static func configureProcess() {
        ProcessAllocator.configure([.arenaMax: arenaLimit, .mmapThreshold: mmapThreshold, .trimThreshold: trimThreshold])
        // NIO reads these once, when a singleton is first used; setting them later (or twice) is fatal, which
        // is why only the agent's command calls this, before anything networks.
        if getenv("NIO_SINGLETON_GROUP_LOOP_COUNT") == nil { NIOSingletons.groupLoopCountSuggestion = eventLoops }
        if getenv("NIO_SINGLETON_BLOCKING_POOL_THREAD_COUNT") == nil { NIOSingletons.blockingPoolThreadCountSuggestion = 1 }
    }
}
