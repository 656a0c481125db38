#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// A small text file read whole — the agent's configuration file, its join token file — with the error number of
/// the `open(2)` or `read(2)` that failed, so that each caller can say in one line why it cannot be read (a
/// directory opens, and fails only at its first read).
public enum TextFile {
    /// Why a file could not be read.
    public enum Failure: Error, Equatable {
        /// `open(2)` failed with this error number.
        case open(Int32)
        /// `read(2)` failed with this error number (`EISDIR` for a directory).
        case read(Int32)
        /// The bytes are not UTF-8.
        case notUTF8
    }

    /// The text of the file at `path`, decoded as UTF-8 (as `String(contentsOfFile:encoding: .utf8)` decodes it).
    public static func read(_ path: String) throws(Failure) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .open(errno) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw .read(errno)
            }
            bytes.append(contentsOf: chunk[..<count])
        }
        guard let text = String(data: Data(bytes), encoding: .utf8) else { throw .notUTF8 }
        return text
    }
}
