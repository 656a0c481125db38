import CoreFoundation  // stat's fields, under MemberImportVisibility in release builds
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// What makes two network namespace references (a file under /var/run/netns, `/proc/<pid>/ns/net`) the
/// same namespace: the device and inode of the nsfs file they lead to.
struct NamespaceIdentity: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64

    /// The identity of the namespace at `path` (following /proc's magic links), or nil when it cannot be read.
    init?(path: String) {
        var status = Glibc.stat()
        guard stat(path, &status) == 0 else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }

    /// The identity of the namespace file open as `descriptor` (fstat(2)): what a path led to when it was
    /// opened, which a later look-up of the same path may no longer lead to.
    init?(descriptor: Int32) {
        var status = Glibc.stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
    }
}
