/// The rule every object name follows (tenants, users, targets, filters, grants): like a
/// Kubernetes name — 1 to 63 characters of lowercase letters, digits, `-`, `_` and `.`,
/// starting and ending with a letter or digit.
public enum ResourceName {
    public static let maximumLength = 63

    /// Returns `name` when it is valid, or throws an error that names `field`.
    @discardableResult
    public static func validate(_ name: String, field: String = "name") throws(TapsterError) -> String {
        guard !name.isEmpty else { throw TapsterError.invalid(field, "must not be empty") }
        guard name.count <= maximumLength else {
            throw TapsterError.invalid(field, "\"\(name)\" is longer than \(maximumLength) characters")
        }
        let scalars = Array(name.unicodeScalars)
        func alnum(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("0"..."9").contains(s) }
        guard let first = scalars.first, let last = scalars.last, alnum(first), alnum(last),
              scalars.allSatisfy({ alnum($0) || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw TapsterError.invalid(
                field, "\"\(name)\" must be lowercase letters, digits, '-', '_' or '.', starting and ending with a letter or digit")
        }
        return name
    }
}
