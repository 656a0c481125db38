import Foundation
import TapsterSystemTestSupport
import Testing

/// `tapster serve --capture-total-buffer` and `--capture-store-free-floor` reach the capture broker: the
/// real binary refuses what they bound, in one line, as `unavailable`.
@Suite("tapster serve capture bounds", .serialized, .timeLimit(.minutes(5)))
struct ServeCaptureBoundsCLITests {
    typealias Setup = CaptureCLITests.Setup

    @Test("--capture-total-buffer of one capture's buffer: a second capture at once is refused")
    func totalBuffer() async throws {
        try await Setup.with(serverArguments: ["--capture-buffer", "64KiB", "--capture-total-buffer", "64KiB"]) { setup in
            let first = try setup.background(["--store", "--for", "1m"], name: "first")
            defer { first.stop() }
            _ = try await eventually(timeout: .seconds(60), every: .milliseconds(500), "the first capture to be live") { () -> Bool? in
                let listed = try await setup.cli.run(["capture", "list", "-o", "name"], token: setup.alice)
                return listed.stdout.hasPrefix("capture/") ? true : nil
            }
            let second = try await setup.cli.run(["capture", "--store", "--for", "30s"], token: setup.alice)
            #expect(second.status == 1 && second.errorLines == [
                "error: the server runs 1 captures, holding up to 64KiB of the 64KiB all captures may hold together; "
                    + "try again when one has ended (unavailable)"], "\(second)")
        }
    }

    @Test("--capture-store-free-floor above the disk's free space: stored captures are refused")
    func storeFreeFloor() async throws {
        try await Setup.with(serverArguments: ["--capture-store-free-floor", "1000000GiB"]) { setup in
            let refused = try await setup.cli.run(["capture", "--store", "--for", "30s"], token: setup.alice)
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.errorLines.first?.hasPrefix("error: the capture store's filesystem has only ") == true, "\(refused)")
            #expect(refused.errorLines.first?.hasSuffix("stored captures are refused until space is freed (unavailable)") == true, "\(refused)")
        }
    }

    @Test("--capture-total-buffer below --capture-buffer is refused at start")
    func totalBelowOne() async throws {
        let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
        let scratch = try ScratchDirectory(label: "serve-bounds")
        defer { scratch.remove() }
        let result = try ProcessRunner.run([binary, "serve", "--data-dir", scratch.path + "/data", "--listen", "127.0.0.1:0",
                                            "--capture-buffer", "1MiB", "--capture-total-buffer", "512KiB"], allowFailure: true)
        #expect(result.status != 0)
        #expect(result.stderr.contains("capture-total-buffer: 512KiB is less than one capture's --capture-buffer (1MiB)"), "\(result.stderr)")
    }
}
