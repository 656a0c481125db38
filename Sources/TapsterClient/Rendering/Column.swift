import Foundation

/// One column of a type's table: its header and how a cell is drawn from an object.
public struct Column<Row>: Sendable {
    public var header: String
    public var cell: @Sendable (Row, Date) -> String

    /// A column whose cell may depend on the current time (ages, deadlines).
    public init(_ header: String, _ cell: @escaping @Sendable (Row, Date) -> String) {
        self.header = header
        self.cell = cell
    }

    /// A column whose cell depends only on the object.
    public init(_ header: String, _ cell: @escaping @Sendable (Row) -> String) {
        self.header = header
        self.cell = { row, _ in cell(row) }
    }

    /// `AGE`: how long ago the object was created.
    public static func age(_ date: @escaping @Sendable (Row) -> Date) -> Column<Row> {
        Column("AGE") { row, now in RelativeTime.age(of: date(row), now: now) }
    }

    /// This column for a type that contains a `Row`.
    public func pulledBack<Outer>(_ part: @escaping @Sendable (Outer) -> Row) -> Column<Outer> {
        let cell = self.cell
        return Column<Outer>(header) { outer, now in cell(part(outer), now) }
    }
}

extension Array {
    /// The table of these rows with the given columns.
    public func table(_ columns: [Column<Element>], now: Date) -> TextTable {
        TextTable(headers: columns.map(\.header), rows: map { row in columns.map { $0.cell(row, now) } })
    }
}
