import CNetns
import Glibc

/// A detached POSIX thread that runs one closure and ends with it: what the agent used Foundation's `Thread` for
/// (`Thread { … }`, a name, a stack size, `start()`), without Foundation proper, whose `Thread` links
/// CoreFoundation, FoundationInternationalization and ICU into the agent (Benchmarks/README.md, "ICU out of the
/// agent").
enum DetachedThread {
    /// Starts a detached thread running `body`, named `name` cut to ``maximumNameLength`` bytes (``threadName(_:)``;
    /// the thread names itself with `pthread_setname_np`, which refuses a longer name and would leave the thread
    /// with its creator's), with a stack of `stackSize` bytes when given (else glibc's default, the stack rlimit).
    /// (Foundation's `Thread` on Linux, swift-corelibs-foundation, named no thread whose `name` was set before
    /// `start()`, as the agent's were: those threads bore the process's name.)
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
        let context = Unmanaged.passRetained(Start(name: threadName(name), body: body)).toOpaque()
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

    /// The most bytes of a thread's name the kernel keeps (`TASK_COMM_LEN` less the terminating NUL).
    static let maximumNameLength = 15

    /// `name` cut to its longest prefix of whole Unicode scalars that fits ``maximumNameLength`` bytes of UTF-8:
    /// `tapster-port-receiver` becomes `tapster-port-re`, and no scalar is ever cut in two.
    static func threadName(_ name: String) -> String {
        var length = 0
        var kept = String.UnicodeScalarView()
        for scalar in name.unicodeScalars {
            length += UTF8.width(scalar)
            guard length <= maximumNameLength else { break }
            kept.append(scalar)
        }
        return String(kept)
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
