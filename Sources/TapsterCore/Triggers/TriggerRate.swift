/// How often a trigger may open a capture: at most ``count`` openings in each ``period`` (`1/10m`).
///
/// Counted in fixed windows: the first opening starts a window of ``period``; alerts that would exceed
/// ``count`` inside it are suppressed (counted, never re-opened, never extending the open capture).
public struct TriggerRate: Sendable, Hashable, TextualValue {
    /// Openings allowed per window; at least 1.
    public let count: Int
    /// The window's length.
    public let period: TapDuration

    public init(count: Int, period: TapDuration) {
        precondition(count >= 1, "a rate allows at least one opening")
        self.count = count
        self.period = period
    }

    /// One opening per 10 minutes, when a trigger names no rate.
    public static let `default` = TriggerRate(count: 1, period: TapDuration(seconds: 600))

    /// Parses `N/DURATION`, e.g. `1/10m` or `3/1h`.
    public init(parsing text: String) throws(TapsterError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[0]), (1...1000).contains(count) else {
            throw TapsterError.invalid("rate", "\"\(text)\" is not a rate such as 1/10m (1 to 1000 openings per duration)")
        }
        let period = try TapDuration(parsing: String(parts[1]))
        guard period <= TapDuration(seconds: 7 * 86_400) else {
            throw TapsterError.invalid("rate", "\"\(text)\": the period is at most 7d")
        }
        self.init(count: count, period: period)
    }

    public var description: String { "\(count)/\(period)" }

    public static func parse(_ text: String) throws(TapsterError) -> Self { try Self(parsing: text) }
}
