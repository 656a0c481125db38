import CNetns
import Glibc

/// A detached POSIX thread that runs one closure and ends with it: what the agent used Foundation's `Thread` for
/// (`Thread { … }`, a name, a stack size, `start()`), without Foundation proper, whose `Thread` links
/// CoreFoundation, FoundationInternationalization and ICU into the agent (Benchmarks/README.md, "ICU out of the
/// agent").
enum DetachedThread {
    /// Starts a detached thread running `body`, named `name` (set by the thread itself with `pthread_setname_np`, as
    /// Foundation's `Thread` does; the kernel keeps 15 bytes at most and refuses a longer name, which leaves the
    /// thread with its creator's), with a stack of `stackSize` bytes when given (else glibc's default, the stack
    /// rlimit).
    /// - Returns: 0 when the thread started, else the error number of `pthread_attr_setstacksize` or
    ///   `pthread_create`; `body` is then never run.
    static func start(name: String, stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) -> Int32 {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        if let stackSize {
            let code = pthread_attr_setstacksize(&attributes, stackSize)
            guard code == 0 else { return code }
        }
        let context = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let code = pthread_create(&thread, &attributes, { context in
            let start = Unmanaged<Start>.fromOpaque(context!).takeRetainedValue()
            _ = cnetns_name_current_thread(start.name)
            start.body()
            return nil
        }, context)
        if code != 0 { Unmanaged<Start>.fromOpaque(context).release() }
        return code
    }

    private final class Start {
        let name: String
        let body: @Sendable () -> Void

        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
}
