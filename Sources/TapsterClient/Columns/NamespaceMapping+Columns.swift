import Foundation
import TapsterCore

extension NamespaceMappingSpec: RenderableSpec {
    public static var resourceKind: String { "namespace-mapping" }
    public static var recordColumns: [Column<NamespaceMapping>] {
        [
            Column("PATTERN") { $0.pattern },
            Column("TENANT") { $0.tenant },
            Column("DESCRIPTION") { $0.spec.description },
            .age(\.createdAt),
        ]
    }
    public static func outputName(of record: NamespaceMapping) -> String { record.pattern }
}
