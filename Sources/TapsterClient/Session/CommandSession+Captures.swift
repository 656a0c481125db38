import Foundation
import NIOCore
import Synchronization
import TapsterAPI
import TapsterCore

/// Where `tapster capture` puts the packets.
public enum CaptureDestination: Sendable, Equatable {
    /// Streamed live into a file, or standard output for `-`.
    case file(String)
    /// Written to the server's capture store (`--store`), for `tapster capture download`.
    case store
}

/// Captures: tcpdump across the fleet, and the stored captures.
extension CommandSession {
    /// The media type of a pcapng stream or file.
    static let pcapng = "application/x-pcapng"

    /// Runs a capture as tcpdump does: nothing but the capture on standard output (with `-w -`); on
    /// standard error the server's warnings, progress when it is a terminal, and a one-line summary at
    /// the end. Ctrl-C (or SIGTERM, as `timeout` sends) asks the server to stop the capture and keeps reading until
    /// the stream ends, so the file is complete, with its statistics blocks; a second signal gives up at once. When the
    /// server goes away midway, the file is ended with a statistics block per interface it described
    /// (``CaptureStreamTracker``) and the command fails with ``ExitStatus/serverLost``.
    public func capture(_ request: CaptureRequest, to destination: CaptureDestination, showProgress: Bool) async throws {
        let file: CaptureFile?
        if case .file(let path) = destination { file = try CaptureFile.open(path) } else { file = nil }
        defer { file?.close() }
        let interrupt = InterruptSignal()
        defer { interrupt.cancel() }

        let created = try await client.post(Resources.captures.url, body: request, as: CaptureView.self).value
        for warning in created.warnings { warn(warning) }
        let id = created.capture.id
        if created.capture.state == .pending {
            // Stored, waiting for an admin's approval: it starts when approved, whether or not this command still runs.
            Console.error("capture \(id): pending approval; it starts when an admin approves it — follow it with: tapster capture get \(id)")
            try say(id)
            return
        }
        let received = ByteTally()
        let signals = interrupt.events
        let stopper = Task { [self] in
            var interrupts = 0
            var grace: Task<Void, Never>?
            // The capture ended (this task is cancelled): nothing is given up.
            defer { grace?.cancel() }
            for await _ in signals {
                interrupts += 1
                guard interrupts == 1 else { exit(130) }
                if showProgress { ProgressLine.show("stopping capture \(id)…") }
                // Beside this loop, so that a second signal gives up at once even while the stop is on its way; and a
                // capture that has not ended a while after the signal (the stop refused, a half-open connection) is
                // given up too: one SIGTERM (`timeout`) must end the command.
                Task { [self] in await stopCapture(id) }
                grace = Task {
                    guard (try? await Task.sleep(for: Self.stopGrace)) != nil else { return }
                    Console.error("error: capture \(id) did not end within \(Self.stopGrace) of the stop; giving up (unavailable)")
                    exit(130)
                }
            }
        }
        let progress = showProgress ? Task { [self] in await showProgressLines(id, received: received) } : nil
        defer {
            stopper.cancel()
            progress?.cancel()
        }

        if let file {
            var stream = CaptureStreamTracker()
            do {
                try await client.stream(Resources.captures.url(id, "stream"), accept: Self.pcapng) { chunk in
                    received.add(chunk.readableBytes)
                    let whole = stream.take(chunk)
                    if !whole.isEmpty { try await file.write(ByteBuffer(bytes: whole)) }
                }
            } catch is OutputClosed {
                // Whoever read our output (tshark, Wireshark) exited: stop, as tcpdump does.
                await stopCapture(id)
            } catch let failure as CommandFailure where failure.code == CommandFailure.cannotWriteCode {
                // The file cannot take more (a full disk): the capture stops too, rather than run on to its end for nobody.
                await stopCapture(id)
                progress?.cancel()
                if showProgress { ProgressLine.clear() }
                throw failure
            } catch where stream.hasSection && !(error is CommandFailure) && !(error is TapsterError) {
                // The stream broke off after it began: the server went away.
                progress?.cancel()
                if showProgress { ProgressLine.clear() }
                throw await serverLost(id, error, stream: stream, file: file)
            }
        }
        let final = try await finalState(of: id)
        progress?.cancel()
        if showProgress { ProgressLine.clear() }
        Console.error(Self.summary(final, destination: destination, written: received.total))
        if final.state == .failed {
            throw CommandFailure("capture_failed", "capture \(id) failed: \(final.failureReason ?? "no reason given")")
        }
        if destination == .store { try say(id) }
    }

    /// Downloads a stored capture through a signed URL (asked for first) into `path` (`-`: standard output).
    public func downloadCapture(_ id: String, to path: String) async throws {
        let link = try await client.post(Resources.captures.url(id, "download-url"), as: CaptureDownloadLink.self).value
        let file = try CaptureFile.open(path)
        defer { file.close() }
        let size = try await client.stream(link.path, accept: Self.pcapng, authenticated: false) { chunk in
            try await file.write(chunk)
        }
        if !file.isStandardOutput { Console.error("capture \(id): \(CaptureFormat.bytes(size)) saved to \(path)") }
    }

    // MARK: Parts

    /// The server went away in the middle of streaming capture `id`: the file is ended with a statistics
    /// block per interface, and this is the one-line failure to report.
    func serverLost(_ id: String, _ error: any Error, stream: CaptureStreamTracker, file: CaptureFile) async -> CommandFailure {
        let now = Date()
        let upTo = stream.lastPacket.map { Date(timeIntervalSince1970: TimeInterval($0) / 1e9) } ?? now
        let time = upTo.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
        let cause = (error as? ServerUnreachable ?? ServerUnreachable.classify(error, server: client.server))?.reason
            ?? "the stream ended at an unexpected time"
        let closing = stream.closingStatistics(
            comment: "tapster: the server went away mid-capture (\(cause)); this file is complete up to \(time); "
                + "the server's counters (received, dropped) never came", at: UInt64(now.timeIntervalSince1970 * 1e9))
        var ended = ""
        do {
            if !closing.isEmpty { try await file.write(ByteBuffer(bytes: closing)) }
            ended = closing.isEmpty ? "" : ", ended with statistics for its \(stream.interfaces.count) interface\(stream.interfaces.count == 1 ? "" : "s")"
        } catch {
            ended = ", but its statistics could not be written: \(ErrorReport(error).message)"
        }
        let name = file.isStandardOutput ? "the output" : file.name
        return CommandFailure("unavailable", "the server went away mid-capture (\(cause)); \(name) is complete up to \(time)\(ended)",
                              exitStatus: ExitStatus.serverLost)
    }

    /// How long `tapster capture` waits for its capture to end after Ctrl-C or SIGTERM before it gives up.
    static let stopGrace: Duration = .seconds(30)

    /// Asks the server to stop the capture's tap; one that already ended is fine.
    func stopCapture(_ id: String) async {
        do {
            _ = try await client.post(Resources.taps.url(id, "stop"), as: Tap.self)
        } catch let error as TapsterError where error.code == .invalidState {
            // It ended already.
        } catch {
            warn("could not stop capture \(id): \(ErrorReport(error).message)")
        }
    }

    /// The capture once it is no longer live (the server records the end before it closes the stream; a
    /// stored capture ends when its upload does).
    func finalState(of id: String) async throws -> Capture {
        while true {
            let capture = try await client.get(Resources.captures.url(id), as: Capture.self).value
            if capture.state != .live, capture.state != .pending { return capture }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Every second until cancelled: `capturing <id>: 1234 packets, 56.7KiB, 0 dropped, 2 hosts`.
    func showProgressLines(_ id: String, received: ByteTally) async {
        while !Task.isCancelled {
            if let capture = try? await client.get(Resources.captures.url(id), as: Capture.self).value, !Task.isCancelled {
                let bytes = capture.mode == .stream ? received.total : capture.size
                ProgressLine.show("capturing \(id): \(capture.packets) packets, \(CaptureFormat.bytes(bytes)), "
                                  + "\(capture.drops) dropped, \(capture.hosts.count) host\(capture.hosts.count == 1 ? "" : "s")")
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// The line printed at the end, e.g. `capture 7f3c…: 1234 packets from 2 hosts (2 interfaces), 0
    /// dropped; 181.2KiB written to web.pcapng (ended: packet_limit)`.
    static func summary(_ capture: Capture, destination: CaptureDestination, written: Int64) -> String {
        var line = "capture \(capture.id): \(CaptureFormat.counters(capture)); "
        switch destination {
        case .file(let path):
            line += "\(CaptureFormat.bytes(written)) written to \(path == "-" ? "standard output" : path)"
        case .store:
            line += capture.state == .complete
                ? "\(CaptureFormat.bytes(capture.size)) stored; fetch it with: tapster capture download \(capture.id)"
                : "nothing stored"
        }
        if let reason = capture.endReason { line += " (ended: \(reason.rawValue))" }
        return line
    }
}

/// A status line on standard error that rewrites itself (only when standard error is a terminal).
enum ProgressLine {
    static func show(_ text: String) {
        Console.errorText("\r\u{1B}[K\(text)")
    }

    static func clear() {
        Console.errorText("\r\u{1B}[K")
    }
}

/// Bytes received so far, shared between the stream and the progress line.
final class ByteTally: Sendable {
    private let count = Mutex<Int64>(0)

    func add(_ bytes: Int) { count.withLock { $0 += Int64(bytes) } }

    var total: Int64 { count.withLock { $0 } }
}
