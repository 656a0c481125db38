import Foundation
import TapsterClient
import TapsterCore
import TapsterProcess
import TapsterSystemTestSupport
import Testing

/// A standard output that fails — its reader gone (`tapster … | head`), a full disk — never crashes a Tapster process:
/// the CLI stops quietly when nobody reads any more and says once why otherwise; the server goes on serving.
@Suite("Standard output that fails", .serialized, .timeLimit(.minutes(5)))
struct FailingOutputTests {
    // MARK: The writer

    @Test func aPipeWhoseReaderWentAwayIsReaderGone() throws {
        // What swift-nio does in every Tapster process: a write to such a pipe fails instead of killing the process.
        signal(SIGPIPE, SIG_IGN)
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        close(ends[0])
        defer { close(ends[1]) }
        #expect(DescriptorWriter.writeAll("tenant/t000\n", to: ends[1]) == .readerGone)
    }

    @Test func aFullDeviceIsAFailureWithItsReason() throws {
        let descriptor = open("/dev/full", O_WRONLY)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let outcome = DescriptorWriter.writeAll("tenant/t000\n", to: descriptor)
        #expect(outcome == .failed(errno: ENOSPC))
        #expect(outcome.reason == "No space left on device")
    }

    @Test func everyByteIsWritten() throws {
        let scratch = try ScratchDirectory(label: "writer")
        defer { scratch.remove() }
        let path = scratch.path + "/out"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        let text = String(repeating: "0123456789abcdef", count: 65_536)
        #expect(DescriptorWriter.writeAll(text, to: descriptor) == .written)
        close(descriptor)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == text)
    }

    // MARK: The CLI and the server

    /// Runs `body` with a server holding tenant `t000`, a CLI for it, the admin's token and a scratch directory.
    private static func withServer(_ body: @Sendable (ServerProcess, CLI, String, ScratchDirectory) async throws -> Void) async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        try await ServerProcess.with(binary: binary) { server in
            try await APIClient.with(server: server.url, token: server.adminToken) { client in
                let _: APIResponse<Tenant> = try await client.post(APIPath.api("tenants"), body: TenantSpec(name: "t000"))
            }
            let scratch = try ScratchDirectory(label: "output")
            defer { scratch.remove() }
            try await body(server, CLI(binary: binary, home: server.workDirectory + "/home", server: server.url), server.adminToken, scratch)
        }
    }

    @Test func theCLIStopsQuietlyWhenItsReaderWentAway() async throws {
        try await Self.withServer { _, cli, admin, scratch in
            // `true` exits (closing the pipe) within a millisecond; the CLI writes only once it has the server's answer, tens
            // of milliseconds after it started. (Were it ever first, its write would succeed and the test pass without the
            // case; it cannot fail for that.) bash exits with the CLI's status.
            let list = try cli.start(["tenant", "list", "-o", "name"], name: "list", token: admin,
                                     pipingStdoutTo: "true; exit ${PIPESTATUS[0]}", directory: scratch)
            #expect(try await list.waitForExit() == 0, "\(list.stderr)")
            #expect(list.stderr == "")
        }
    }

    @Test func theCLISaysOnceThatItCouldNotWriteAndExitsOne() async throws {
        try await Self.withServer { _, cli, admin, scratch in
            let list = try cli.start(["tenant", "list", "-o", "name"], name: "list", token: admin, writingStdoutTo: "/dev/full", directory: scratch)
            #expect(try await list.waitForExit() == 1)
            #expect(list.stderr == "error: writing standard output failed: No space left on device (cannot_write)\n")
        }
    }

    @Test func aServerWhoseStandardOutputIsFullGoesOnServing() async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        let scratch = try ScratchDirectory(label: "full-stdout")
        defer { scratch.remove() }
        // `tapster serve > /dev/full`: the banner's every write fails.
        let wrapper = scratch.path + "/tapster"
        try "#!/bin/sh\nexec '\(binary)' \"$@\" > /dev/full\n".write(toFile: wrapper, atomically: false, encoding: .utf8)
        chmod(wrapper, 0o755)
        try await ServerProcess.with(binary: wrapper) { server in
            // Ready: the agent channel listens, and its banner lines have been written (and failed) as it began to.
            try await server.waitUntilReady()
            let tenant: APIResponse<Tenant> = try await APIClient.with(server: server.url, token: server.adminToken) { client in
                try await client.post(APIPath.api("tenants"), body: TenantSpec(name: "after-the-banner"))
            }
            #expect(tenant.value.name == "after-the-banner")
            #expect(server.isRunning)
            #expect(!server.log.contains("Fatal error"), "\(server.log)")
            // The first admin's secrets, shown only once, went to standard error instead.
            #expect(server.log.contains("First start: created the admin account. These secrets are shown only now:"), "\(server.log)")
        }
    }
}
