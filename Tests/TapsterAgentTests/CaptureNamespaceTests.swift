import TapsterSystemTestSupport
import Foundation
import TapsterAgent
import Testing

/// Network namespace references, and running work inside one on a thread of its own.
@Suite("Network namespaces")
struct CaptureNamespaceTests {
    @Test("The reference form round-trips: empty is the host, a path has a slash, anything else is a name")
    func referenceForm() {
        #expect(NetworkNamespace(reference: "") == .host)
        #expect(NetworkNamespace(reference: "web") == .named("web"))
        #expect(NetworkNamespace(reference: "/proc/42/ns/net") == .path("/proc/42/ns/net"))
        for namespace in [NetworkNamespace.host, .named("web"), .path("/proc/42/ns/net")] {
            #expect(NetworkNamespace(reference: namespace.reference) == namespace)
        }
        #expect(NetworkNamespace.named("web").filePath == "/var/run/netns/web")
        #expect(NetworkNamespace.host.filePath == "/proc/self/ns/net")
    }

    @Test("run(_:) works inside the namespace and leaves the caller's thread where it was")
    func runInside() async throws {
        let name = "\(TestNamePrefix.next())-ns"
        try ProcessRunner.run(["ip", "netns", "add", name])
        defer { _ = try? ProcessRunner.run(["ip", "netns", "del", name], allowFailure: true) }
        try ProcessRunner.run(["ip", "-n", name, "link", "add", "probe0", "type", "veth", "peer", "name", "probe1"])
        let before = Self.ownNamespace()

        let (inside, index) = try await NetworkNamespace.named(name).run { (Self.ownNamespace(), if_nametoindex("probe0")) }
        let hostNamespace = try await NetworkNamespace.host.run { Self.ownNamespace() }

        #expect(index != 0, "probe0 exists only in the namespace")
        #expect(inside != before)
        #expect(hostNamespace == before)
        #expect(Self.ownNamespace() == before)
        #expect(if_nametoindex("probe0") == 0)
    }

    /// The namespace of the calling thread, as `net:[inode]`.
    @Sendable static func ownNamespace() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self/ns/net")) ?? ""
    }

    @Test("Entering a missing namespace fails with the path and the system's reason")
    func missingNamespace() async {
        let error = await #expect(throws: NamespaceError.self) {
            try await NetworkNamespace.named("tt-none-such").run { true }
        }
        #expect(error?.operation == .open)
        #expect(error?.description == "cannot open network namespace /var/run/netns/tt-none-such: No such file or directory")
    }

    @Test("A file that is not a namespace cannot be entered")
    func notANamespace() async {
        let error = await #expect(throws: NamespaceError.self) {
            try await NetworkNamespace.path("/etc/hostname").run { true }
        }
        #expect(error?.operation == .enter)
        #expect(error?.code == EINVAL)
    }
}
