import TapsterCore
import Yams

extension JSONValue {
    /// The same document as YAML: the same keys (sorted), strings quoted wherever YAML would
    /// otherwise read them as another type (`"true"`, `"007"`).
    public func yaml() throws -> String {
        try Yams.serialize(node: node())
    }

    func node() -> Node {
        switch self {
        case .null: Node("null", Tag(.null))
        case .bool(let value): .scalar(value.represented())
        case .integer(let value): Node(String(value), Tag(.int))
        case .number(let value): .scalar(value.represented())
        case .string(let value): .scalar(value.represented())
        case .array(let items): .sequence(Node.Sequence(items.map { $0.node() }))
        case .object(let members):
            .mapping(Node.Mapping(members.keys.sorted().map { (.scalar($0.represented()), members[$0]!.node()) }))
        }
    }
}
