import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// glibc's allocator settings a Tapster process chooses for itself, first thing at start (`mallopt`), each
/// unless the environment already sets it — its older variable (`MALLOC_MMAP_THRESHOLD_`…) or its tunable in
/// `GLIBC_TUNABLES` (`glibc.malloc.mmap_threshold`…) — so an operator can undo a choice without a rebuild.
/// The agent's choices (`AgentProcessMemory`) and `tapster serve`'s (`ServerProcessMemory`) differ; this is what
/// they share. Without glibc it sets nothing.
public enum ProcessAllocator {
    /// One of glibc's `mallopt` parameters and the environment's names for it.
    public struct Parameter: Hashable, Sendable, CustomStringConvertible {
        /// `M_…` in `<malloc.h>`.
        let code: Int32
        /// The variable glibc reads at start (`MALLOC_ARENA_MAX`…).
        public let variable: String
        /// Its name in `GLIBC_TUNABLES` (`glibc.malloc.arena_max`…).
        public let tunable: String

        public var description: String { tunable }

        /// At most this many arenas (`M_ARENA_MAX`).
        public static let arenaMax = Parameter(code: -8, variable: "MALLOC_ARENA_MAX", tunable: "glibc.malloc.arena_max")
        /// Blocks from this size up get their own mapping, unmapped when freed (`M_MMAP_THRESHOLD`). Setting it also
        /// fixes it: glibc otherwise raises it (up to 32 MiB) each time such a block is freed.
        public static let mmapThreshold = Parameter(code: -3, variable: "MALLOC_MMAP_THRESHOLD_", tunable: "glibc.malloc.mmap_threshold")
        /// Free memory at the top of an arena above this goes back to the kernel (`M_TRIM_THRESHOLD`).
        public static let trimThreshold = Parameter(code: -1, variable: "MALLOC_TRIM_THRESHOLD_", tunable: "glibc.malloc.trim_threshold")
    }

    /// Whether `environment` sets `parameter`, in either of glibc's ways (then glibc has applied it at start).
    public static func isSet(_ parameter: Parameter, in environment: [String: String]) -> Bool {
        if environment[parameter.variable] != nil { return true }
        // GLIBC_TUNABLES=name=value:name=value…
        return (environment["GLIBC_TUNABLES"] ?? "").split(separator: ":").contains {
            $0.split(separator: "=", maxSplits: 1).first.map(String.init) == parameter.tunable
        }
    }

    /// Of `wanted`, the settings `environment` leaves to the process: what ``configure(_:environment:)`` sets.
    public static func unset(_ wanted: [Parameter: Int32], in environment: [String: String]) -> [Parameter: Int32] {
        wanted.filter { !isSet($0.key, in: environment) }
    }

    /// Sets each of `wanted` that `environment` does not set; returns what it set (nothing without glibc). Call it
    /// first thing in the process: thresholds apply to the blocks allocated afterwards, and the arena limit to
    /// arenas not made yet.
    @discardableResult
    public static func configure(_ wanted: [Parameter: Int32],
                                 environment: [String: String] = ProcessInfo.processInfo.environment) -> [Parameter: Int32] {
        #if canImport(Glibc)
        guard let mallopt = Allocator.mallopt else { return [:] }
        return unset(wanted, in: environment).filter { mallopt($0.key.code, $0.value) == 1 }
        #else
        return [:]
        #endif
    }
}

extension ProcessAllocator {
    /// Whether the allocator can give its free pages back (glibc's `malloc_trim` exists).
    public static var canTrim: Bool {
        #if canImport(Glibc)
        Allocator.mallocTrim != nil
        #else
        false
        #endif
    }

    /// Gives the allocator's whole free pages back to the kernel, inside every arena too (glibc's `malloc_trim(0)`);
    /// nothing without glibc. It walks every arena, holding each one's lock while it does: call it on a thread that
    /// may block, never on the cooperative pool.
    public static func trim() {
        #if canImport(Glibc)
        _ = Allocator.mallocTrim?(0)
        #endif
    }
}

#if canImport(Glibc)
/// glibc's tuning entry points, which Swift's Glibc module does not import (`<malloc.h>` is not in it): looked
/// up once by name. Absent (another libc), they are nil and the process keeps that allocator's defaults.
private enum Allocator {
    // Immutable C function pointers, set once: safe to share between threads.
    static let mallopt: (@convention(c) (Int32, Int32) -> Int32)? = function("mallopt")
    static let mallocTrim: (@convention(c) (Int) -> Int32)? = function("malloc_trim")

    private static func function<F>(_ name: String) -> F? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: F.self)
    }
}
#endif
