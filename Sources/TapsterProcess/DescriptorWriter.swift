#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes bytes to a file descriptor — standard output, standard error, a capture file — and says how it went,
/// without ever stopping the process.
///
/// Foundation's `FileHandle.write(_:)` traps (`try!`) when a write fails, and swift-nio ignores `SIGPIPE` for the
/// whole process once it opens a socket, so a pipe whose reader went away (`tapster … | head`) or a full disk is a
/// failed write: `tapster serve > /dev/full` ended in SIGILL at its banner, and `tapster … | head` with a crash report
/// where `head` expected silence. Tapster's own writes to standard streams (the CLI's output and messages, the
/// server's banner, capture files) go through here; `print`, swift-log and ArgumentParser write through C's stdio,
/// which reports a failure instead of trapping.
public enum DescriptorWriter {
    /// How writing everything went.
    public enum Outcome: Equatable, Sendable {
        /// All bytes were written.
        case written
        /// The reader of the pipe went away (`EPIPE`): nothing more will be read.
        case readerGone
        /// Another error (`ENOSPC`, `EIO`, `EBADF`…): `errno`, after some of the bytes may have been written.
        case failed(errno: Int32)

        /// The system's description of a failure (`No space left on device`); empty otherwise.
        public var reason: String {
            switch self {
            case .written: ""
            case .readerGone: String(cString: strerror(EPIPE))
            case .failed(let code): String(cString: strerror(code))
            }
        }
    }

    /// Writes all of `bytes` to `descriptor`, again after a short write or an interrupted one.
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> Outcome {
        var offset = 0
        while offset < bytes.count {
            let written = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return errno == EPIPE ? .readerGone : .failed(errno: errno)
            }
            offset += written
        }
        return .written
    }

    /// Writes `text` as UTF-8 to `descriptor`.
    public static func writeAll(_ text: String, to descriptor: Int32) -> Outcome {
        var text = text
        return text.withUTF8 { writeAll(UnsafeRawBufferPointer($0), to: descriptor) }
    }
}

// The system call, under a name the methods above do not shadow.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(fd, bytes, count) }
