import Foundation
import HTTPTypes
import Testing
import TapsterAPI
import TapsterCore
import TapsterTestSupport

/// The native additions the Neutron layer rests on, used through the native API: filters that
/// select by port, and annotations.
@Suite struct NeutronNativeModelTests {
    @Test(arguments: StoreKind.available)
    func aNativeFilterMaySelectByPortInsteadOfLabels(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { api, _, f, _ in
            let view = try await api.expect(FilterView.self, .post, "/api/v1/filters", token: f.admin,
                                            json: FilterSpec(name: "app-port", tenant: "shop", selector: LabelSelector(requirements: []), ports: [f.shopApp]))
            #expect(view.filter.ports == [f.shopApp])
            #expect(view.matches == FilterMatches(workloads: 1, hosts: 1))
            let both = try await api.expect(FilterView.self, .post, "/api/v1/filters", token: f.admin, json: FilterSpec(
                name: "app-port-web", selector: try LabelSelector(parsing: "app=web"), ports: [f.shopApp]))
            #expect(both.matches.workloads == 0)
            let workloads = try await api.expect(ItemList<Workload>.self, .get, "/api/v1/filters/app-port/workloads", token: f.admin)
            #expect(workloads.items.map(\.name) == ["app-1"])
        }
    }

    @Test(arguments: StoreKind.available)
    func filterPortsAndAnnotationsAreValidated(kind: StoreKind) async throws {
        try await withNeutronServer(kind) { api, _, f, _ in
            let empty = LabelSelector(requirements: [])
            for (spec, field) in [(FilterSpec(name: "f1", selector: empty), "selector"),
                                  (FilterSpec(name: "f2", selector: empty, ports: []), "ports"),
                                  (FilterSpec(name: "f3", selector: empty, ports: ["eth0"]), "ports"),
                                  (FilterSpec(name: "f4", selector: empty, ports: [f.shopApp, f.shopApp]), "ports"),
                                  (FilterSpec(name: "f5", selector: empty, ports: [f.shopApp], annotations: ["not a key": "x"]), "annotations")] {
                let (status, error) = try await api.failure(.post, "/api/v1/filters", token: f.admin, json: spec)
                #expect(status == 400)
                #expect(error.field == field)
            }
            let (status, error) = try await api.failure(.post, "/api/v1/targets", token: f.admin, json: TargetSpec(
                name: "t1", kind: .port, portId: f.shopMonitor, annotations: ["neutron.name": String(repeating: "x", count: 1025)]))
            #expect(status == 400)
            #expect(error.field == "annotations.neutron.name")
        }
    }
}
