import TapsterSystemTestSupport
import TapsterAgent
import Testing

/// The bandwidth cap's arithmetic, with time given explicitly (nanoseconds).
@Suite("Token bucket")
struct CaptureTokenBucketTests {
    static let second: UInt64 = 1_000_000_000

    /// A bucket behind a reference, so `#expect` can call its mutating `admit`.
    final class Meter {
        var bucket: TokenBucket
        init(bitsPerSecond: UInt64, burstBits: UInt64) { bucket = TokenBucket(bitsPerSecond: bitsPerSecond, burstBits: burstBits) }
        init(bitsPerSecond: UInt64) { bucket = TokenBucket(bitsPerSecond: bitsPerSecond) }
        var tokens: UInt64 { bucket.tokens }
        func admit(_ bytes: Int, at nanoseconds: UInt64) -> Bool { bucket.admit(bytes: bytes, now: nanoseconds) }
    }

    @Test("A new bucket is full: it admits up to its burst at once, then refuses")
    func startsFull() {
        let bucket = Meter(bitsPerSecond: 8_000, burstBits: 8_000)
        #expect(bucket.admit(600, at: 0))
        #expect(bucket.admit(400, at: 0))
        #expect(!bucket.admit(1, at: 0))
        #expect(bucket.tokens == 0)
    }

    @Test("It refills at its rate: 8000 bit/s gives 1000 bytes a second")
    func refillsAtRate() {
        let bucket = Meter(bitsPerSecond: 8_000, burstBits: 8_000)
        #expect(bucket.admit(1_000, at: 0))
        #expect(!bucket.admit(501, at: Self.second / 2))
        #expect(bucket.admit(500, at: Self.second / 2))
        #expect(!bucket.admit(1, at: Self.second / 2))
        #expect(bucket.admit(1_000, at: Self.second * 3 / 2))
    }

    @Test("A refused packet takes nothing from the bucket")
    func refusalTakesNothing() {
        let bucket = Meter(bitsPerSecond: 1_000, burstBits: 800)
        #expect(!bucket.admit(101, at: 0))
        #expect(bucket.tokens == 800)
        #expect(bucket.admit(100, at: 0))
    }

    @Test("It never holds more than its burst, however long it idles")
    func capsAtBurst() {
        let bucket = Meter(bitsPerSecond: 1_000_000, burstBits: 16_000)
        #expect(bucket.admit(2_000, at: 0))
        #expect(bucket.admit(0, at: 3_600 * Self.second))
        #expect(bucket.tokens == 16_000)
    }

    @Test("Fractions of a bit carry over: half bits at 3 bit/s add up to whole bits")
    func keepsFractions() {
        let bucket = Meter(bitsPerSecond: 3, burstBits: 8)
        #expect(bucket.admit(1, at: 0))
        var now: UInt64 = 0
        for _ in 0..<15 {
            now += Self.second / 6 + 1 // a little over half a bit each time
            _ = bucket.admit(0, at: now)
        }
        #expect(bucket.tokens == 7, "7.5 bits so far")
        now += Self.second / 6 + 1
        _ = bucket.admit(0, at: now)
        #expect(bucket.tokens == 8, "the two halves made a bit")
    }

    @Test("Time going backwards refills nothing")
    func ignoresBackwardsTime() {
        let bucket = Meter(bitsPerSecond: 8_000, burstBits: 8_000)
        #expect(bucket.admit(1_000, at: 10 * Self.second))
        #expect(!bucket.admit(1, at: 5 * Self.second))
        #expect(bucket.admit(1, at: 10 * Self.second + Self.second / 1_000))
    }

    @Test("Huge rates and intervals do not overflow")
    func noOverflow() {
        let bucket = Meter(bitsPerSecond: 400_000_000_000, burstBits: 40_000_000_000)
        #expect(bucket.admit(5_000_000_000, at: 0))
        #expect(bucket.tokens == 0)
        #expect(bucket.admit(5_000_000_000, at: UInt64.max / 2))
        #expect(bucket.admit(1, at: UInt64.max))
    }

    @Test("The default burst is a tenth of a second, and never less than one 64 KiB packet")
    func defaultBurst() {
        #expect(TokenBucket.defaultBurst(for: 1_000_000_000) == 100_000_000)
        #expect(TokenBucket.defaultBurst(for: 100_000) == 524_280)
        #expect(Meter(bitsPerSecond: 100_000).admit(65_535, at: 0))
    }
}
