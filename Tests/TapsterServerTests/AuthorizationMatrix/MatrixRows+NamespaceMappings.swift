import HTTPTypes
import TapsterCore

extension MatrixRow {
    /// A new namespace mapping of tenant `shop` (A), by id.
    static func shopMapping(_ world: MatrixWorld) async throws -> String {
        try await world.api.expect(NamespaceMapping.self, .post, "/api/v1/namespace-mappings", token: world.admin,
                                   json: NamespaceMappingSpec(pattern: MatrixWorld.unique("ns"), tenant: "shop")).id
    }
}
