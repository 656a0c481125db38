/// Free-form notes another API keeps on an object, such as the display name the Neutron
/// compatibility API shows for a target (`neutron.name`). Tapster itself never acts on them.
///
/// Keys follow the label-key rule (`neutron.name`, `example.com/owner`); values are free text
/// of at most 1024 characters; an object has at most 32.
public enum Annotations {
    public static let maximumCount = 32
    public static let maximumValueLength = 1024

    /// Checks every key and value; `nil` is valid.
    public static func validate(_ annotations: [String: String]?, field: String = "annotations") throws(TapsterError) {
        guard let annotations else { return }
        guard annotations.count <= maximumCount else { throw TapsterError.invalid(field, "at most \(maximumCount) annotations") }
        for (key, value) in annotations.sorted(by: { $0.key < $1.key }) {
            try LabelSelector.validateKey(key, field: field)
            try Validation.text(value, field: "\(field).\(key)", maximum: maximumValueLength)
        }
    }
}
