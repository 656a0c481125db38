import Glibc
import Testing
import TapsterAgent

/// `NetworkNamespace.run` when no thread can be started to enter the namespace: a ``NamespaceError`` saying so,
/// not a POSIX error its callers would take for a failed entry or dump raw.
@Suite("A namespace's thread that cannot start")
struct NamespaceThreadErrorTests {
    @Test("is described as a thread that cannot start, with the system's reason")
    func describedAsThread() {
        let error = NamespaceError(namespace: .host, operation: .thread, code: EAGAIN)

        #expect(error.description == "cannot start a thread: Resource temporarily unavailable")
    }
}
