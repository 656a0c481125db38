/// Small field checks shared by every spec's `validated()`.
public enum Validation {
    /// Free text: at most `maximum` characters and no control characters other than newline and tab.
    public static func text(_ value: String, field: String, maximum: Int) throws(TapsterError) {
        guard value.count <= maximum else {
            throw TapsterError.invalid(field, "is longer than \(maximum) characters")
        }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" }) else {
            throw TapsterError.invalid(field, "contains control characters")
        }
    }

    /// An integer inside a closed range.
    public static func range<T: BinaryInteger>(_ value: T, _ range: ClosedRange<T>, field: String) throws(TapsterError) {
        guard range.contains(value) else {
            throw TapsterError.invalid(field, "\(value) is outside \(range.lowerBound)–\(range.upperBound)")
        }
    }

    /// A field that must be present.
    public static func required<T>(_ value: T?, field: String, because reason: String) throws(TapsterError) -> T {
        guard let value else { throw TapsterError.invalid(field, "is required \(reason)") }
        return value
    }

    /// A field that must be absent.
    public static func absent<T>(_ value: T?, field: String, because reason: String) throws(TapsterError) {
        guard value == nil else { throw TapsterError.invalid(field, "is not allowed \(reason)") }
    }
}
