import Foundation
import TapsterCore

/// Prints objects in the chosen ``OutputFormat``: the one renderer every command uses.
public struct Renderer: Sendable {
    public var format: OutputFormat
    /// The moment ages and deadlines are measured from.
    public var now: Date

    public init(format: OutputFormat, now: Date = Date()) {
        self.format = format
        self.now = now
    }

    /// One object: a one-row table (plus its sections), its JSON or YAML, or `kind/name`.
    public func render<Item: TableRenderable>(_ answer: APIResponse<Item>) throws -> String {
        switch format {
        case .table:
            var out = [answer.value].table(Item.columns, now: now).render()
            for section in answer.value.sections(now: now) where !section.table.rows.isEmpty {
                out += "\n\(section.title):\n" + section.table.render()
            }
            return out
        case .json, .yaml:
            return try document(answer.json)
        case .name:
            return "\(Item.resourceKind)/\(answer.value.outputName)\n"
        }
    }

    /// A list: a table (empty string when there is nothing — see ``emptyMessage(for:)``), the
    /// API's `{"items": [...]}` as JSON or YAML, or `kind/name` lines.
    public func render<Item: TableRenderable>(_ answer: APIResponse<[Item]>) throws -> String {
        switch format {
        case .table:
            return answer.value.isEmpty ? "" : answer.value.table(Item.columns, now: now).render()
        case .json, .yaml:
            return try document(answer.json)
        case .name:
            return answer.value.map { "\(Item.resourceKind)/\($0.outputName)\n" }.joined()
        }
    }

    /// What a table-printing command says on standard error for an empty list, like kubectl.
    public func emptyMessage<Item: TableRenderable>(for answer: APIResponse<[Item]>) -> String? {
        format == .table && answer.value.isEmpty ? "No \(Item.plural) found." : nil
    }

    private func document(_ json: JSONValue) throws -> String {
        format == .json ? try json.prettyPrinted() + "\n" : try json.yaml()
    }
}
