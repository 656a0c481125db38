import NIOCore

/// Deterministic pseudo-random bytes for upload tests, and bodies that stream them in chunks of odd sizes
/// (so that part boundaries never line up with chunk boundaries).
enum TestPayload {
    /// `count` bytes from a xorshift generator seeded with `seed`.
    static func bytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
        var state = seed | 1
        var bytes = [UInt8](repeating: 0, count: count)
        for index in 0..<count {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            bytes[index] = UInt8(truncatingIfNeeded: state)
        }
        return bytes
    }

    /// The whole of `bytes` as one body.
    static func body(_ bytes: [UInt8], chunkSize: Int = 100_003) -> ChunkedBody {
        ChunkedBody(bytes: bytes, chunkSize: chunkSize, failAfter: nil)
    }
}

/// An upload body streaming `bytes` in chunks of `chunkSize`, optionally failing with ``BodyFailure`` once
/// `failAfter` bytes have been produced.
struct ChunkedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: [UInt8]
    let chunkSize: Int
    let failAfter: Int?

    func makeAsyncIterator() -> Iterator { Iterator(body: self) }

    struct Iterator: AsyncIteratorProtocol {
        let body: ChunkedBody
        var offset = 0

        mutating func next() async throws -> ByteBuffer? {
            if let limit = body.failAfter, offset >= limit { throw BodyFailure() }
            guard offset < body.bytes.count else { return nil }
            let end = Swift.min(offset + body.chunkSize, body.bytes.count)
            defer { offset = end }
            return ByteBuffer(bytes: body.bytes[offset..<end])
        }
    }
}

/// The error a failing ``ChunkedBody`` throws.
struct BodyFailure: Error, Equatable {}


/// An upload body that streams `bytes`, then waits (for an hour, or until its task is cancelled) for more.
struct StallingBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: [UInt8]

    func makeAsyncIterator() -> Iterator { Iterator(bytes: bytes) }

    struct Iterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        var sent = false

        mutating func next() async throws -> ByteBuffer? {
            if !sent {
                sent = true
                return ByteBuffer(bytes: bytes)
            }
            try await Task.sleep(for: .seconds(3600))
            return nil
        }
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes; whether it held.
func poll(timeout: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        if try await condition() { return true }
        if clock.now >= deadline { return false }
        try await Task.sleep(for: .milliseconds(50))
    }
}
