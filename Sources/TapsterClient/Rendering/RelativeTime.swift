import Foundation

/// Times in tables, as kubectl shows them: an age (`45s`, `5m30s`, `3h`, `12d`) or, for a
/// moment ahead, `in 14m`.
public enum RelativeTime {
    /// How long ago `date` was, at `now` (`0s` for a moment slightly ahead, from clock skew).
    public static func age(of date: Date, now: Date) -> String {
        human(now.timeIntervalSince(date))
    }

    /// `in 14m` for a future `date`, `3m ago` for a past one.
    public static func until(_ date: Date, now: Date) -> String {
        let interval = date.timeIntervalSince(now)
        return interval >= 0 ? "in \(human(interval))" : "\(human(-interval)) ago"
    }

    /// kubectl's `HumanDuration`: precise for short spans, coarse for long ones.
    public static func human(_ interval: TimeInterval) -> String {
        let seconds = Int(interval.rounded(.down))
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 { return pair(minutes, "m", seconds % 60, "s") }
        if minutes < 180 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 8 { return pair(hours, "h", minutes % 60, "m") }
        if hours < 48 { return "\(hours)h" }
        let days = hours / 24
        if days < 8 { return pair(days, "d", hours % 24, "h") }
        if days < 730 { return "\(days)d" }
        if days < 2920 { return pair(days / 365, "y", days % 365, "d") }
        return "\(days / 365)y"
    }

    private static func pair(_ major: Int, _ majorUnit: String, _ minor: Int, _ minorUnit: String) -> String {
        minor == 0 ? "\(major)\(majorUnit)" : "\(major)\(majorUnit)\(minor)\(minorUnit)"
    }
}
