import NIOCore

/// An object opened for reading by ``ObjectStore/download(key:)``: what it is, and its bytes as a stream.
public struct ObjectDownload: Sendable {
    /// The object (``StoredObject/tags`` is `nil`).
    public var object: StoredObject
    /// Its bytes, streamed from the backend in chunks. Iterate it once.
    public var body: ObjectByteStream

    /// The object's size in bytes, known before the first byte is read (e.g. for `Content-Length`).
    public var size: Int64 { object.size }

    /// A download of `object` whose bytes come from `body`.
    public init(object: StoredObject, body: ObjectByteStream) {
        self.object = object
        self.body = body
    }
}

/// A single-pass stream of byte chunks, whatever produces them (a file read off the cooperative pool, an HTTP
/// response body). It erases the producer's type so that every ``ObjectStore`` returns the same thing.
public struct ObjectByteStream: AsyncSequence, Sendable {
    /// A chunk of the object's bytes.
    public typealias Element = ByteBuffer
    /// Whatever error the producer throws.
    public typealias Failure = any Error

    private let makeIterator: @Sendable () -> AsyncIterator

    /// A stream of the chunks `base` produces.
    public init<Base: AsyncSequence & Sendable>(_ base: Base) where Base.Element == ByteBuffer {
        makeIterator = { AsyncIterator(base.makeAsyncIterator()) }
    }

    /// Starts reading.
    public func makeAsyncIterator() -> AsyncIterator { makeIterator() }

    /// Reads the chunks in order; `nil` at the end.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let nextChunk: () async throws -> ByteBuffer?

        init<Base: AsyncIteratorProtocol>(_ base: Base) where Base.Element == ByteBuffer {
            var base = base
            nextChunk = { try await base.next() }
        }

        /// The next chunk, or `nil` after the last.
        public mutating func next() async throws -> ByteBuffer? {
            try await nextChunk()
        }
    }
}

extension ObjectByteStream {
    /// Reads the whole stream into one buffer. For small objects and tests only: a capture may be gigabytes.
    ///
    /// - Throws: ``ObjectStoreError/tooLarge(limit:)`` past `maximumBytes`.
    public func collect(upTo maximumBytes: Int) async throws -> ByteBuffer {
        var all = ByteBuffer()
        for try await chunk in self {
            guard all.readableBytes + chunk.readableBytes <= maximumBytes else {
                throw ObjectStoreError.tooLarge(limit: maximumBytes)
            }
            all.writeImmutableBuffer(chunk)
        }
        return all
    }
}
