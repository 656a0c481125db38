import Foundation

/// A Prometheus text exposition (format 0.0.4), written by hand: metric families with `# HELP`
/// and `# TYPE`, samples with escaped label values.
struct MetricsExposition {
    /// The kinds of metric written.
    enum Kind: String {
        case counter, gauge
    }

    /// One sample: its labels, in order, and its value.
    struct Sample {
        var labels: [(String, String)]
        var value: UInt64

        init(_ labels: [(String, String)] = [], _ value: UInt64) {
            self.labels = labels
            self.value = value
        }
    }

    /// The media type of the exposition.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private(set) var text = ""

    /// Appends a family; one with no samples is still described, so scrapers learn it exists.
    mutating func family(_ name: String, _ kind: Kind, help: String, _ samples: [Sample]) {
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
        for sample in samples {
            text += name
            if !sample.labels.isEmpty {
                text += "{" + sample.labels.map { "\($0.0)=\"\(Self.escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
            }
            text += " \(sample.value)\n"
        }
    }

    /// A label value with `\`, `"` and line feeds escaped.
    static func escapeLabel(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// Help text with `\` and line feeds escaped.
    static func escapeHelp(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}
