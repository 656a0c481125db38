/// A table of text, printed as kubectl prints one: UPPERCASE headers, columns left-aligned
/// and separated by three spaces, the last column unpadded.
public struct TextTable: Sendable, Equatable {
    public var headers: [String]
    public var rows: [[String]]

    /// The placeholder for an empty cell.
    public static let none = "<none>"

    public init(headers: [String], rows: [[String]]) {
        self.headers = headers
        self.rows = rows
    }

    /// The table's lines, each ending in a newline.
    public func render() -> String {
        let all = [headers.map { $0.uppercased() }] + rows.map { row in
            headers.indices.map { index in
                let cell = index < row.count ? Self.singleLine(row[index]) : ""
                return cell.isEmpty ? Self.none : cell
            }
        }
        let widths = headers.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        var out = ""
        for line in all {
            var text = ""
            for (column, cell) in line.enumerated() {
                if column == line.count - 1 {
                    text += cell
                } else {
                    text += cell + String(repeating: " ", count: widths[column] - cell.count + 3)
                }
            }
            out += text + "\n"
        }
        return out
    }

    /// Cells are one line: newlines and tabs become spaces.
    private static func singleLine(_ text: String) -> String {
        guard text.contains(where: { $0.isNewline || $0 == "\t" }) else { return text }
        return String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
    }
}
