import TapsterAPI
import TapsterCore

/// Filters: what they select.
extension CommandSession {
    /// The workloads a saved filter selects now.
    public func filterWorkloads(_ reference: String, paging: ListPaging = .all) async throws {
        try await list(Resources.filters.url(reference, "workloads"), of: Workload.self, paging: paging)
    }

    /// What a filter spec would select, without saving it.
    public func previewFilter(_ spec: FilterSpec) async throws {
        try show(try await client.post(Resources.filters.url + "/preview", body: spec, as: FilterPreview.self))
    }
}
