import TapsterSystemTestSupport
import Foundation

/// `tcpdump` on one interface inside a namespace, the way an operator watches a monitoring port: one line
/// per frame matching a capture filter, counted as they arrive. ``stop()`` ends it and returns tcpdump's
/// own final count (`N packets captured`, `1 packet captured`).
final class TcpdumpCounter: @unchecked Sendable {
    private let process: BackgroundProcess

    /// Starts tcpdump (not promiscuous, immediate mode, line-buffered, link-level headers shown) and waits
    /// until it listens. `direction` (`in`, `out`) keeps only the frames the interface received or sent
    /// (`-Q`; the filter's `inbound` misses the first frame with libpcap 1.10).
    init(name: String, namespace: String, interface: String, filter: String, direction: String? = nil,
         directory: ScratchDirectory) async throws {
        let arguments = ["ip", "netns", "exec", namespace, "tcpdump", "-i", interface, "-n", "-p", "-l", "--immediate-mode", "-e"]
            + (direction.map { ["-Q", $0] } ?? []) + [filter]
        process = try BackgroundProcess(name: name, arguments, directory: directory)
        do {
            try await process.waitForOutput("listening on", timeout: .seconds(60))
        } catch {
            process.stop()
            throw error
        }
    }

    /// The frames printed so far, one line each (tcpdump's hex dump lines of unknown EtherTypes left out).
    var lines: [String] {
        process.stdout.split(separator: "\n", omittingEmptySubsequences: true)
            .filter { !($0.first?.isWhitespace ?? true) }
            .map(String.init)
    }

    /// Waits until at least `count` frames were printed; returns the lines.
    @discardableResult
    func waitForFrames(_ count: Int, timeout: Duration = .seconds(10)) async throws -> [String] {
        try await eventually(timeout: timeout, "tcpdump \(process.name) to print \(count) frames (has \(lines.count))") { () -> [String]? in
            let lines = self.lines
            return lines.count >= count ? lines : nil
        }
    }

    /// Stops tcpdump and returns the number of frames it reports having captured, nil if it printed none.
    func stop() -> Int? {
        process.stop()
        guard let line = process.stderr.split(separator: "\n").first(where: { $0.hasSuffix(" packets captured") || $0.hasSuffix(" packet captured") }) else { return nil }
        return line.split(separator: " ").first.flatMap { Int($0) }
    }

    deinit { process.stop(grace: .seconds(1)) }
}
