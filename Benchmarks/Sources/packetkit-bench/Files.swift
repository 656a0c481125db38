#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and chunked writes with plain POSIX calls, so the benchmark times PacketKit, not Foundation.
enum Files {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): errno \(errno)") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Failure(description: "cannot stat \(path)") }
        let size = Int(info.st_size)
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var offset = 0
            while offset < size {
                let got = Glibc.read(fd, buffer.baseAddress! + offset, size - offset)
                if got <= 0 { failed = true; break }
                offset += got
            }
            count = offset
        }
        if failed { throw Failure(description: "short read of \(path)") }
        return bytes
    }

    /// A file opened for writing (created or truncated).
    struct Writer: ~Copyable {
        let fd: Int32

        init(_ path: String) throws {
            fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard fd >= 0 else { throw Failure(description: "cannot create \(path): errno \(errno)") }
        }

        func write(_ bytes: UnsafeRawBufferPointer) throws {
            var offset = 0
            while offset < bytes.count {
                let wrote = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                guard wrote > 0 else { throw Failure(description: "write failed: errno \(errno)") }
                offset += wrote
            }
        }

        deinit { close(fd) }
    }
}
