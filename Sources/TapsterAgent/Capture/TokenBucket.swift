/// A token bucket in bits: it fills at a constant rate up to a burst size, and a packet passes when the
/// bucket holds at least its size in bits, which it then takes.
///
/// Pure and exact: time is given by the caller (capture timestamps, so no clock read per packet), and the
/// refill keeps its fraction of a bit between calls, so no rate is lost to rounding. Refused packets take
/// nothing. The bucket starts full.
public struct TokenBucket: Hashable, Sendable {
    /// The fill rate.
    public let bitsPerSecond: UInt64
    /// The most the bucket holds: the longest burst that passes at once.
    public let burstBits: UInt64
    /// What the bucket holds now, in bits.
    public private(set) var tokens: UInt64
    /// Bit-nanoseconds accumulated towards the next whole bit (always below 10⁹).
    private var fraction: UInt64 = 0
    /// The time of the last refill, in nanoseconds; nil before the first packet.
    private var lastRefill: UInt64?

    private static let nanosecondsPerSecond: UInt64 = 1_000_000_000

    /// A full bucket filling at `bitsPerSecond` (at least 1) up to `burstBits`.
    public init(bitsPerSecond: UInt64, burstBits: UInt64) {
        precondition(bitsPerSecond > 0, "a token bucket needs a positive rate")
        self.bitsPerSecond = bitsPerSecond
        self.burstBits = burstBits
        self.tokens = burstBits
    }

    /// A full bucket for a bandwidth cap, with ``defaultBurst(for:)``.
    public init(bitsPerSecond: UInt64) {
        self.init(bitsPerSecond: bitsPerSecond, burstBits: Self.defaultBurst(for: bitsPerSecond))
    }

    /// A tenth of a second at the rate, but at least 64 KiB − 1 (524 280 bits), so that any single
    /// packet — even a 64 KiB GSO/GRO super-packet — can pass when the bucket is full.
    public static func defaultBurst(for bitsPerSecond: UInt64) -> UInt64 {
        max(bitsPerSecond / 10, 65_535 * 8)
    }

    /// Refills for the time passed since the last call, then admits a packet of `bytes` bytes if the
    /// bucket holds `bytes × 8` bits (taking them) or refuses it (taking nothing).
    /// - Parameters:
    ///   - bytes: the packet's size.
    ///   - nanoseconds: the current time, any epoch; a time earlier than the last one refills nothing.
    public mutating func admit(bytes: Int, now nanoseconds: UInt64) -> Bool {
        refill(at: nanoseconds)
        let cost = UInt64(max(bytes, 0)) &* 8
        guard tokens >= cost else { return false }
        tokens -= cost
        return true
    }

    private mutating func refill(at now: UInt64) {
        guard let last = lastRefill else {
            lastRefill = now
            return
        }
        guard now > last else { return }
        lastRefill = now
        guard tokens < burstBits else {
            fraction = 0
            return
        }
        // bits = (elapsed × rate + fraction) / 10⁹, in 128-bit arithmetic so no rate or interval overflows.
        let product = (now - last).multipliedFullWidth(by: bitsPerSecond)
        let (low, carry) = product.low.addingReportingOverflow(fraction)
        let high = product.high &+ (carry ? 1 : 0)
        guard high < Self.nanosecondsPerSecond else {
            fillUp()
            return
        }
        let (bits, remainder) = Self.nanosecondsPerSecond.dividingFullWidth((high: high, low: low))
        let (sum, overflow) = tokens.addingReportingOverflow(bits)
        if overflow || sum >= burstBits {
            fillUp()
        } else {
            tokens = sum
            fraction = remainder
        }
    }

    private mutating func fillUp() {
        tokens = burstBits
        fraction = 0
    }
}
