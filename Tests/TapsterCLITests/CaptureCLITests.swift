import Foundation
import TapsterSystemTestSupport
import Testing

/// `tapster capture` — the real binary against a real `tapster serve`, no agents: what a user sees of
/// refusals, the end of a capture (its deadline, Ctrl-C), and stored captures. Packets from two hosts
/// are the end-to-end tests' business.
@Suite("tapster capture against a real server", .serialized, .timeLimit(.minutes(5)))
struct CaptureCLITests {
    /// A server with a `live` stream target and an `archive` store target, both granted to alice with
    /// filter `web`; bob has no grant. Tokens for both.
    struct Setup {
        let server: ServerProcess
        let cli: CLI
        let binary: String
        let alice: String
        let bob: String
        let scratch: ScratchDirectory

        /// `serverArguments` and `environment` are added to `tapster serve`'s.
        static func with(serverArguments: [String] = [], environment: [String: String] = [:],
                         _ body: (Setup) async throws -> Void) async throws {
            let binary = try #require(TapsterBinary.path, "build the tapster executable first (swift build --product tapster)")
            try await ServerProcess.with(binary: binary, arguments: serverArguments, environment: environment) { server in
                let scratch = try ScratchDirectory(label: "capture-cli")
                defer { scratch.remove() }
                let cli = CLI(binary: binary, home: scratch.path + "/home", server: server.url)
                let admin = server.adminToken
                for arguments in [
                    ["tenant", "create", "shop"],
                    ["user", "create", "alice", "--role", "owner", "--tenant", "shop"],
                    ["user", "create", "bob", "--role", "owner", "--tenant", "shop"],
                    ["target", "create", "live", "--kind", "stream"],
                    ["target", "create", "archive", "--kind", "store"],
                    ["filter", "create", "web", "--selector", "app=web"],
                    ["grant", "create", "--user", "alice", "--filter", "web", "--target", "live", "--max-duration", "1h"],
                    ["grant", "create", "--user", "alice", "--filter", "web", "--target", "archive", "--max-duration", "1h"],
                ] {
                    let result = try await cli.run(arguments, token: admin)
                    try #require(result.status == 0, "tapster \(arguments.joined(separator: " ")): \(result)")
                }
                func token(_ user: String) async throws -> String {
                    let result = try await cli.run(["token", "create", "--name", "cli", "--user", user, "-o", "json"], token: admin)
                    try #require(result.status == 0, "\(result)")
                    let document = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
                    return try #require(document?["token"] as? String)
                }
                try await body(Setup(server: server, cli: cli, binary: binary, alice: try await token("alice"), bob: try await token("bob"),
                                     scratch: scratch))
            }
        }

        /// `tapster capture <arguments>` running in the background as alice, its stdout and stderr in files.
        func background(_ arguments: [String], name: String) throws -> BackgroundProcess {
            try cli.start(["capture"] + arguments, name: name, token: alice, directory: scratch)
        }

        /// `capinfos` of `path`: it must read it without a word on stderr.
        func checkedByCapinfos(_ path: String) throws -> String {
            let result = try ProcessRunner.run(["capinfos", "-c", "-I", path], allowFailure: true)
            #expect(result.status == 0 && result.stderr.isEmpty, "capinfos: \(result.stderr)")
            return result.stdout
        }
    }

    @Test("an owner without a stream grant is refused in one line, exit status 1, nothing on stdout")
    func refusal() async throws {
        try await Setup.with { setup in
            let result = try await setup.cli.run(["capture", "-w", setup.scratch.path + "/x.pcapng", "--for", "10s"], token: setup.bob)
            #expect(result.status == 1, "\(result)")
            #expect(result.stdout.isEmpty)
            #expect(result.errorLines == ["error: you have no grant to capture with a stream target; ask an admin for one (not_granted)"])
        }
    }

    @Test("an invalid expression is refused with libpcap's words")
    func invalidExpression() async throws {
        try await Setup.with { setup in
            let result = try await setup.cli.run(["capture", "-w", setup.scratch.path + "/x.pcapng", "tcp", "port"], token: setup.alice)
            #expect(result.status == 1, "\(result)")
            #expect(result.errorLines.count == 1 && result.stderr.hasSuffix("(invalid_bpf)\n") && result.stderr.contains("syntax error"), "\(result)")
        }
    }

    @Test("a capture that reaches its duration ends on its own: a valid pcapng and a one-line summary")
    func endsAtItsDuration() async throws {
        try await Setup.with { setup in
            let path = setup.scratch.path + "/short.pcapng"
            let result = try await setup.cli.run(["capture", "--for", "2s", "-w", path], token: setup.alice)
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.isEmpty)
            // No agent has reported a workload: the server warns, then the summary line.
            #expect(result.errorLines.count == 2, "\(result)")
            #expect(result.errorLines.first == "warning: filter \"web\" matches no known workload yet; "
                    + "packets flow as soon as agents report matching workloads")
            let summary = try #require(result.errorLines.last)
            #expect(summary.hasPrefix("capture ") && summary.contains(": 0 packets from 0 hosts (0 interfaces), 0 dropped;"), "\(summary)")
            #expect(summary.hasSuffix("written to \(path) (ended: deadline)"), "\(summary)")
            #expect(try setup.checkedByCapinfos(path).contains("Number of packets:   0"))
        }
    }

    @Test("on a terminal, stderr shows a progress line every second (packets, bytes, drops, hosts), cleared before the summary")
    func progressOnATerminal() async throws {
        try await Setup.with { setup in
            let path = setup.scratch.path + "/tty.pcapng"
            var environment = setup.cli.environment
            environment["TAPSTER_TOKEN"] = setup.alice
            let assignments = environment.sorted { $0.key < $1.key }.map { "'\($0.key)=\($0.value)'" }.joined(separator: " ")
            // script(1) runs the capture on a pseudo-terminal and copies what it printed there.
            // 10 s from the capture's creation: two progress lines (1 s apart) even when the stream opens late on a loaded
            // machine; ~10 are expected.
            let command = "env -i \(assignments) '\(setup.binary)' capture --for 10s -w '\(path)'"
            let terminal = try ProcessRunner.run(["script", "-qfec", command, "/dev/null"])
            let lines = terminal.stdout.components(separatedBy: "\r\u{1B}[K").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            let progress = lines.filter { $0.hasPrefix("capturing ") }
            #expect(progress.count >= 2, "\(terminal.stdout)")
            #expect(progress.allSatisfy { $0.contains(": 0 packets, ") && $0.hasSuffix("B, 0 dropped, 0 hosts") }, "\(progress)")
            #expect(lines.last?.hasSuffix("written to \(path) (ended: deadline)") == true, "\(terminal.stdout)")
        }
    }

    @Test("Ctrl-C (SIGINT) or SIGTERM (`timeout`, `kill`) stops the capture, and the file written to standard output is still complete",
          arguments: [SIGINT, SIGTERM])
    func interruptStopsCleanly(signal: Int32) async throws {
        try await Setup.with { setup in
            let capture = try setup.background(["--for", "10m", "-w", "-"], name: "capture")
            defer { capture.stop() }
            _ = try await eventually(timeout: .seconds(60), every: .milliseconds(500), "the capture to be live") { () -> Bool? in
                let listed = try await setup.cli.run(["capture", "list", "-o", "name"], token: setup.alice)
                return listed.stdout.hasPrefix("capture/") ? true : nil
            }
            // Its stream is open (the capture is created first): the section header is on standard output.
            try await eventually(timeout: .seconds(60), "the stream's section header on standard output") { () -> Bool? in
                let size = (try? FileManager.default.attributesOfItem(atPath: capture.stdoutPath)[.size] as? Int) ?? 0
                return size > 0 ? true : nil
            }
            capture.signal(signal)
            #expect(try await capture.waitForExit(timeout: .seconds(60)) == 0, "\(capture.stderr)")
            #expect(capture.stderr.hasSuffix("(ended: stopped)\n"), "\(capture.stderr)")
            #expect(try setup.checkedByCapinfos(capture.stdoutPath).contains("Number of packets:   0"))
            let listed = try await setup.cli.run(["capture", "list"], token: setup.alice)
            #expect(listed.stdout.contains("complete"), "\(listed)")
        }
    }

    @Test("a file that cannot take the capture (a full disk) stops it on the server: one cannot_write line, exit status 1")
    func unwritableFileStopsTheCapture() async throws {
        try await Setup.with { setup in
            // Its section header is the first write, as soon as the stream is open.
            let result = try await setup.cli.run(["capture", "--for", "10m", "-w", "/dev/full"], token: setup.alice)
            #expect(result.status == 1, "\(result)")
            #expect(result.errorLines.last == "error: writing /dev/full failed: No space left on device (cannot_write)", "\(result)")
            // Stopped, not left running to its 10 minutes.
            try await eventually(timeout: .seconds(60), "the capture to be complete") { () -> Bool? in
                let listed = try await setup.cli.run(["capture", "list"], token: setup.alice)
                return listed.stdout.contains("complete") ? true : nil
            }
        }
    }

    @Test("the server killed mid-capture: tapster capture -w exits 4 with one line saying up to when the file is complete, and capinfos reads it")
    func serverKilledMidCapture() async throws {
        try await Setup.with { setup in
            let path = setup.scratch.path + "/cut.pcapng"
            let capture = try setup.background(["--for", "10m", "-w", path], name: "capture")
            defer { capture.stop() }
            try await eventually(timeout: .seconds(60), "the stream's section header in the file") { () -> Bool? in
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                return size > 0 ? true : nil
            }
            setup.server.kill()
            #expect(try await capture.waitForExit(timeout: .seconds(60)) == 4, "\(capture.stderr)")
            let last = capture.stderr.split(separator: "\n").last.map(String.init) ?? ""
            #expect(last.hasPrefix("error: the server went away mid-capture (") && last.hasSuffix(" (unavailable)"), "\(capture.stderr)")
            #expect(last.contains("; \(path) is complete up to "), "\(last)")
            #expect(try setup.checkedByCapinfos(path).contains("Number of packets:   0"))
        }
    }

    @Test("a stored capture is downloaded through a signed URL, then deleted")
    func storeDownloadDelete() async throws {
        try await Setup.with { setup in
            let stored = try await setup.cli.run(["capture", "--store", "--for", "2s"], token: setup.alice)
            #expect(stored.status == 0, "\(stored)")
            let id = stored.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(!id.isEmpty && stored.stderr.contains("stored; fetch it with: tapster capture download \(id)"), "\(stored)")
            let path = setup.scratch.path + "/fetched.pcapng"
            let download = try await setup.cli.run(["capture", "download", id, "-o", path], token: setup.alice)
            #expect(download.status == 0 && download.stdout.isEmpty, "\(download)")
            _ = try setup.checkedByCapinfos(path)
            let get = try await setup.cli.run(["capture", "get", id], token: setup.alice)
            #expect(get.stdout.contains("complete") && get.stdout.contains("store"), "\(get)")
            let deleted = try await setup.cli.run(["capture", "delete", id], token: setup.alice)
            #expect(deleted.status == 0 && deleted.stdout == "capture \"\(id)\" deleted\n", "\(deleted)")
            #expect(try await setup.cli.run(["capture", "get", id], token: setup.alice).stdout.contains("deleted"))
        }
    }

    @Test("a stored capture goes to an S3-compatible store (moto), tagged with its owner, tenant and tap; download and delete go through it")
    func storeInS3() async throws {
        let scratch = try ScratchDirectory(label: "moto")
        defer { scratch.remove() }
        let moto = try await MotoS3Server(directory: scratch)
        defer { moto.stop() }
        try await Setup.with(serverArguments: ["--capture-store", "s3://captures/tapster?endpoint=\(moto.endpoint)&region=us-east-1"],
                             environment: ["AWS_ACCESS_KEY_ID": "tapster-test", "AWS_SECRET_ACCESS_KEY": "tapster-test-secret"]) { setup in
            let stored = try await setup.cli.run(["capture", "--store", "--for", "2s"], token: setup.alice)
            #expect(stored.status == 0, "\(stored)")
            let id = stored.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let key = "tapster/shop/\(id).pcapng"
            #expect(try moto.keys(in: "captures") == [key])
            #expect(try moto.tags(bucket: "captures", key: key)
                    == ["owner": "alice", "tenant": "shop", "tap": id, "filter": "web", "target": "archive"])

            let path = setup.scratch.path + "/from-s3.pcapng"
            let download = try await setup.cli.run(["capture", "download", id, "-o", path], token: setup.alice)
            #expect(download.status == 0 && download.stdout.isEmpty, "\(download)")
            #expect(try setup.checkedByCapinfos(path).contains("Number of packets:   0"))

            let deleted = try await setup.cli.run(["capture", "delete", id], token: setup.alice)
            #expect(deleted.status == 0, "\(deleted)")
            #expect(try moto.keys(in: "captures") == [])
        }
    }

    @Test("tapster capture get prints the warnings kept with a capture, a `warning: …` line each on stderr, as its creation did")
    func getPrintsTheCapturesWarnings() async throws {
        try await Setup.with { setup in
            let admin = setup.server.adminToken
            for arguments in [["target", "create", "headers", "--kind", "store", "--payload", "headers:128"],
                              ["grant", "create", "--user", "alice", "--filter", "web", "--target", "headers", "--max-duration", "1h"]] {
                let result = try await setup.cli.run(arguments, token: admin)
                try #require(result.status == 0, "tapster \(arguments.joined(separator: " ")): \(result)")
            }
            let stored = try await setup.cli.run(["capture", "--store", "--target", "headers", "-s", "256", "--for", "1s"], token: setup.alice)
            #expect(stored.status == 0, "\(stored)")
            let id = stored.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let capped = "warning: snaplen 256 is capped to 128, the payload of target \"headers\""
            #expect(stored.errorLines.prefix(2) == [capped, "warning: filter \"web\" matches no known workload yet; "
                                                    + "packets flow as soon as agents report matching workloads"], "\(stored)")

            let get = try await setup.cli.run(["capture", "get", id], token: setup.alice)
            #expect(get.status == 0 && get.stdout.contains(id), "\(get)")
            #expect(get.errorLines == [capped], "kept with the capture: what it holds less than asked, not what was true only then")
        }
    }
}
