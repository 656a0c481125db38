import Foundation
import TapsterSystemTestSupport
import Testing

/// `tapster capture readers` — the real binary against a real `tapster serve`: an admin entitles another
/// owner of the tenant to read alice's stored capture, lists and revokes it; the owner herself cannot.
@Suite("tapster capture readers against a real server", .serialized, .timeLimit(.minutes(5)))
struct CaptureReaderCLITests {
    typealias Setup = CaptureCLITests.Setup

    @Test("an admin entitles bob to alice's stored capture: he downloads it until the admin removes him")
    func entitleDownloadRevoke() async throws {
        try await Setup.with { setup in
            let admin = setup.server.adminToken
            let stored = try await setup.cli.run(["capture", "--store", "--for", "2s"], token: setup.alice)
            let id = stored.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try #require(stored.status == 0 && !id.isEmpty, "\(stored)")
            let path = setup.scratch.path + "/bobs.pcapng"

            let refused = try await setup.cli.run(["capture", "download", id, "-o", path], token: setup.bob)
            #expect(refused.status == 1 && refused.errorLines
                == ["error: only the owner of capture \(id), an admin, or a user an admin entitled can read its packets (forbidden)"], "\(refused)")

            let added = try await setup.cli.run(["capture", "readers", "add", id, "bob"], token: admin)
            #expect(added.status == 0 && added.stdout.contains("bob") && added.stdout.contains("admin"), "\(added)")
            let listed = try await setup.cli.run(["capture", "readers", "list", id, "-o", "name"], token: admin)
            #expect(listed.stdout == "reader/bob\n", "\(listed)")
            let download = try await setup.cli.run(["capture", "download", id, "-o", path], token: setup.bob)
            #expect(download.status == 0, "\(download)")
            _ = try setup.checkedByCapinfos(path)

            let removed = try await setup.cli.run(["capture", "readers", "remove", id, "bob"], token: admin)
            #expect(removed.status == 0 && removed.stdout == "user \"bob\" may no longer read the packets of capture \(id)\n", "\(removed)")
            #expect(try await setup.cli.run(["capture", "download", id, "-o", path], token: setup.bob).status == 1)
        }
    }

    @Test("an owner cannot entitle anyone: one line, exit status 1")
    func ownerRefused() async throws {
        try await Setup.with { setup in
            let stored = try await setup.cli.run(["capture", "--store", "--for", "1s"], token: setup.alice)
            let id = stored.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let result = try await setup.cli.run(["capture", "readers", "add", id, "bob"], token: setup.alice)
            #expect(result.status == 1 && result.stdout.isEmpty, "\(result)")
            #expect(result.errorLines == ["error: only an admin can entitle users to read the packets of capture \(id) (forbidden)"])
        }
    }
}
