import Foundation
import NIOCore
import NIOPosix
import TapsterProcess

/// Where the CLI writes a capture's bytes: standard output or a file (created mode 0600: captures hold
/// packet payloads). Writes run on NIO's blocking-I/O thread pool, never on Swift's cooperative pool,
/// so a slow pipe reader (tshark, Wireshark) holds up only this capture.
public final class CaptureFile: Sendable {
    /// What the user named: a path, or `-` for standard output.
    public let name: String
    private let descriptor: Int32
    private let ownsDescriptor: Bool

    private init(name: String, descriptor: Int32, ownsDescriptor: Bool) {
        self.name = name
        self.descriptor = descriptor
        self.ownsDescriptor = ownsDescriptor
    }

    /// Opens `path` for writing (truncating it), or standard output for `-`.
    public static func open(_ path: String) throws -> CaptureFile {
        if path == "-" { return CaptureFile(name: "-", descriptor: STDOUT_FILENO, ownsDescriptor: false) }
        let fd = systemOpen(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw CommandFailure.cannotWrite("cannot open \(path) for writing: \(String(cString: strerror(errno)))")
        }
        return CaptureFile(name: path, descriptor: fd, ownsDescriptor: true)
    }

    /// Whether this is standard output.
    public var isStandardOutput: Bool { !ownsDescriptor }

    /// Writes all of `buffer`.
    ///
    /// - Throws: ``OutputClosed`` when the reader of a pipe went away (`EPIPE`); a ``CommandFailure`` for any
    ///   other write error (a full disk).
    public func write(_ buffer: ByteBuffer) async throws {
        let descriptor = self.descriptor, name = self.name
        try await NIOThreadPool.singleton.runIfActive {
            try buffer.withUnsafeReadableBytes { bytes in
                try OutputClosed.check(DescriptorWriter.writeAll(bytes, to: descriptor),
                                       writing: name == "-" ? "standard output" : name)
            }
        }
    }

    /// Closes the file (not standard output).
    public func close() {
        if ownsDescriptor { _ = systemClose(descriptor) }
    }
}

// The system calls, under names the methods above do not shadow.
private func systemOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
