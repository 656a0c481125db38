import TapsterProcess

/// How `tapster serve` sets glibc's allocator for a server holding thousands of mostly idle agent connections
/// (issue #10; Benchmarks/README.md, "The transport's 32 KB copies per message").
///
/// Each agent connection keeps swift-nio-ssl's 32 KiB plaintext read buffer for its whole life, and a status report
/// (a few hundred bytes a second) writes only its first page or two — since `CompactPlaintextReads` (TapsterPKI)
/// keeps that buffer from being copied whole. From an arena, the buffer is carved out of memory the connect storm
/// already made resident; mapped on its own, only the pages written are. Fleet benchmark, 1,000 agents:
/// 179 → 156 KB per agent, idle CPU unchanged. (Before the reads were compacted this cost an mmap, an munmap and
/// nine page faults per message, as each copy was a new 32 KiB block: do not lower it without measuring again.)
///
/// ``configureProcess()`` is for `tapster serve`'s own process, called first (a test process, with servers in it,
/// keeps its defaults: the heap trimmer's test relies on 32 KiB blocks coming from an arena). What the environment
/// sets (`MALLOC_MMAP_THRESHOLD_`, or `glibc.malloc.mmap_threshold` in `GLIBC_TUNABLES`) wins.
public enum ServerProcessMemory {
    /// Blocks from 32 KiB up get their own mapping (glibc's default is 128 KiB, raised up to 32 MiB as large blocks
    /// are freed). glibc maps a request on its own when it, with its 8-byte header, reaches the threshold: a
    /// 32 KiB buffer does.
    static let mmapThreshold: Int32 = 32 << 10

    /// The settings the server wants, before the environment has its say.
    static let wanted: [ProcessAllocator.Parameter: Int32] = [.mmapThreshold: mmapThreshold]

    /// What the server sets, given its environment.
    static func settings(environment: [String: String]) -> [ProcessAllocator.Parameter: Int32] {
        ProcessAllocator.unset(wanted, in: environment)
    }

    /// Sets the allocator for the server; returns what it set. Call once, first thing in `tapster serve`.
    @discardableResult
    public static func configureProcess() -> [ProcessAllocator.Parameter: Int32] {
        ProcessAllocator.configure(wanted)
    }
}
