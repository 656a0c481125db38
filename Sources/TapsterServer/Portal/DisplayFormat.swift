import Foundation
import Hummingbird

/// How the portal writes numbers, sizes and times for people. `portal.js` formats the live
/// counters the same way, so a refreshed value looks like the server-rendered one.
enum DisplayFormat {
    /// `1,234,567`.
    static func count(_ value: UInt64) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }

    /// `0 B`, `512 B`, `1.5 KiB`, `23.4 MiB`.
    static func bytes(_ value: UInt64) -> String {
        guard value >= 1024 else { return "\(value) B" }
        var amount = Double(value)
        var unit = "B"
        for next in ["KiB", "MiB", "GiB", "TiB"] where amount >= 1024 {
            amount /= 1024
            unit = next
        }
        return String(format: "%.1f %@", amount, unit)
    }

    /// Time left: `45s`, `4m 05s`, `1h 02m`, `2d 03h`; `–` when nothing is left.
    static func timeLeft(_ seconds: Int) -> String {
        guard seconds > 0 else { return "–" }
        let (d, h, m, s) = (seconds / 86_400, seconds % 86_400 / 3_600, seconds % 3_600 / 60, seconds % 60)
        if d > 0 { return String(format: "%dd %02dh", d, h) }
        if h > 0 { return String(format: "%dh %02dm", h, m) }
        if m > 0 { return String(format: "%dm %02ds", m, s) }
        return "\(s)s"
    }

    /// `2026-11-23 18:50:31 UTC`.
    static func time(_ date: Date) -> String {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d UTC", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
    }

    /// A duration as a person says it: `10 min`, `1 hour`, `48 hours`, `7 days`.
    static func duration(seconds: Int64) -> String {
        if seconds > 172_800, seconds % 86_400 == 0 { return "\(seconds / 86_400) days" }
        if seconds % 3_600 == 0 { return seconds == 3_600 ? "1 hour" : "\(seconds / 3_600) hours" }
        if seconds % 60 == 0 { return "\(seconds / 60) min" }
        return "\(seconds) s"
    }
}
