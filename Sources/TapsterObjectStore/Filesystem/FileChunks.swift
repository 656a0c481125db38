import NIOCore

/// The bytes of an open file, read in chunks on the blocking-I/O queue.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    /// How much one read asks for.
    static let chunkSize = 256 * 1024

    let file: OpenFile

    func makeAsyncIterator() -> Iterator { Iterator(file: file) }

    struct Iterator: AsyncIteratorProtocol {
        let file: OpenFile
        var offset: Int64 = 0
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            guard !finished else { return nil }
            try Task.checkCancellation()
            let file = self.file
            let offset = self.offset
            let chunk = try await BlockingIO.run {
                try POSIXFile.read(file.fd, at: offset, count: FileChunks.chunkSize, path: file.path)
            }
            if chunk.readableBytes == 0 {
                finished = true
                return nil
            }
            self.offset += Int64(chunk.readableBytes)
            return chunk
        }
    }
}
