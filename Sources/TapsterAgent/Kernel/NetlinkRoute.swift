import CTrafficControl
import Glibc

/// A NETLINK_ROUTE socket bound to the network namespace it was opened in: requests on it act there,
/// whichever thread sends them — so a mirror's filters in a workload's namespace are read and removed
/// without entering it again. Closed when the last reference goes.
///
/// Requests are answered by the kernel before `sendto` returns (rtnetlink runs them synchronously), so a
/// call takes microseconds and does not hold a thread of the cooperative pool waiting.
final class NetlinkRoute: Sendable {
    /// The socket.
    let descriptor: Int32

    /// Opens a socket in the calling thread's namespace.
    /// - Throws: ``KernelMirrorError`` with the socket's errno.
    init(subject: String) throws(KernelMirrorError) {
        let descriptor = ctc_open()
        guard descriptor >= 0 else { throw KernelMirrorError(.netlink, subject: subject, code: errno) }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }
}
