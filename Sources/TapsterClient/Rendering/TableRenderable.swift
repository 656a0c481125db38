import Foundation

/// A type the CLI prints: its kind, its table columns, and its name for `-o name`.
///
/// Each type declares its columns once (see the `Columns` folder); ``Renderer`` draws every
/// command's output from them.
public protocol TableRenderable: Sendable {
    /// The kind in singular, lowercase (`tap`), for `-o name` and messages.
    static var resourceKind: String { get }
    /// The kind in plural (`taps`), for "No taps found."
    static var plural: String { get }
    /// The table's columns, in order.
    static var columns: [Column<Self>] { get }
    /// What names this object in `-o name` (`kind/<this>`): its name, or its id for unnamed kinds.
    var outputName: String { get }
    /// Further tables shown under a single object's row (e.g. a tap's per-agent counters).
    func sections(now: Date) -> [TableSection]
    /// Warnings the object keeps (e.g. a capture's shortened look-back), printed as `warning: <text>` on standard
    /// error when it is shown on its own (`get`), as its creation printed them.
    var keptWarnings: [String] { get }
}

extension TableRenderable {
    public func sections(now: Date) -> [TableSection] { [] }

    public var keptWarnings: [String] { [] }

    public static var plural: String { resourceKind + "s" }
}

/// A titled table printed under an object (`Agents:` then the table).
public struct TableSection: Sendable, Equatable {
    public var title: String
    public var table: TextTable

    public init(title: String, table: TextTable) {
        self.title = title
        self.table = table
    }
}
