import Foundation
import Testing
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterSystemTestSupport
import TapsterTestSupport

/// The planning model's workloads follow the store's through changes: each workload once, on its host.
@Suite struct PlanningModelWorkloadTests {
    private static let secret = TunnelKeys.secret(Data(repeating: 7, count: 32))

    private static func workload(_ name: String, host: String, labels: [String: String] = [:]) -> Workload {
        Workload(createdAt: Date(), spec: WorkloadSpec(name: name, kind: .netns, host: host, labels: labels, netns: name))
    }

    /// Stores `workloads`, loads a model from the store and runs `body` with both.
    private static func withModel(_ kind: StoreKind, holding workloads: [Workload],
                                  _ body: @Sendable (any Store, inout PlanningModel) async throws -> Void) async throws {
        try await TestServer.run(kind) { _, controlPlane in
            let store = controlPlane.store
            for workload in workloads { try await store.insert(workload, into: .workloads) }
            var model = try await PlanningModel.load(from: store)
            try await body(store, &model)
        }
    }

    /// The names of the workloads the model plans `host` with, sorted, each as often as it is there.
    private static func names(_ model: PlanningModel, on host: String) -> [String] {
        model.inputs(now: Date(), tunnelKeySecret: secret, onHosts: [host]).workloads.map(\.name).sorted()
    }

    @Test(arguments: StoreKind.available)
    func aLoadedModelHoldsEachHostsWorkloadsOnce(kind: StoreKind) async throws {
        let workloads = [Self.workload("web-1", host: "node-1"), Self.workload("web-2", host: "node-1"), Self.workload("db-1", host: "node-2")]
        try await Self.withModel(kind, holding: workloads) { _, model in
            #expect(Self.names(model, on: "node-1") == ["web-1", "web-2"])
            #expect(Self.names(model, on: "node-2") == ["db-1"])
            #expect(model.inputs(now: Date(), tunnelKeySecret: Self.secret).workloads.map(\.name).sorted() == ["db-1", "web-1", "web-2"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aChangedWorkloadReplacesItsOlderSelfOnItsHost(kind: StoreKind) async throws {
        let web = Self.workload("web-1", host: "node-1", labels: ["app": "web"])
        try await Self.withModel(kind, holding: [web]) { store, model in
            var web = web
            web.spec.labels = ["app": "shop"]
            try await store.update(web, in: .workloads)
            try await model.refresh(.workload(id: web.id, host: "node-1", .updated), from: store)
            let planned = model.inputs(now: Date(), tunnelKeySecret: Self.secret, onHosts: ["node-1"]).workloads
            #expect(planned.map(\.spec.labels) == [["app": "shop"]])
        }
    }

    @Test(arguments: StoreKind.available)
    func aWorkloadThatMovedHostIsPlannedOnItsNewHostOnly(kind: StoreKind) async throws {
        let web = Self.workload("web-1", host: "node-1")
        try await Self.withModel(kind, holding: [web, Self.workload("web-2", host: "node-1")]) { store, model in
            var web = web
            web.spec.host = "node-2"
            try await store.update(web, in: .workloads)
            try await model.refresh(.workload(id: web.id, host: "node-2", .updated), from: store)
            #expect(Self.names(model, on: "node-1") == ["web-2"])
            #expect(Self.names(model, on: "node-2") == ["web-1"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aDeletedWorkloadLeavesTheModel(kind: StoreKind) async throws {
        let web = Self.workload("web-1", host: "node-1")
        try await Self.withModel(kind, holding: [web]) { store, model in
            try await store.delete(id: web.id, from: .workloads)
            try await model.refresh(.workload(id: web.id, host: "node-1", .deleted), from: store)
            #expect(Self.names(model, on: "node-1") == [])
        }
    }

    @Test(arguments: StoreKind.available)
    func aHostReadAgainHoldsExactlyWhatTheStoreHasOnIt(kind: StoreKind) async throws {
        let old = Self.workload("web-1", host: "node-1")
        try await Self.withModel(kind, holding: [old]) { store, model in
            try await store.delete(id: old.id, from: .workloads)
            try await store.insert(Self.workload("web-3", host: "node-1"), into: .workloads)
            try await model.refresh(host: "node-1", from: store)
            #expect(Self.names(model, on: "node-1") == ["web-3"])
        }
    }

    @Test(arguments: StoreKind.available)
    func aWorkloadReadOnItsNewHostLeavesItsOldOneAndFollowsItsLaterChanges(kind: StoreKind) async throws {
        let web = Self.workload("web-1", host: "node-1")
        try await Self.withModel(kind, holding: [web]) { store, model in
            var moved = web
            moved.spec.host = "node-2"
            try await store.update(moved, in: .workloads)
            try await model.refresh(host: "node-2", from: store)
            try await model.refresh(host: "node-1", from: store)
            #expect(Self.names(model, on: "node-1") == [])
            #expect(Self.names(model, on: "node-2") == ["web-1"])
            try await store.delete(id: web.id, from: .workloads)
            try await model.refresh(.workload(id: web.id, host: "node-2", .deleted), from: store)
            #expect(Self.names(model, on: "node-2") == [])
        }
    }

    @Test(arguments: StoreKind.available)
    func workloadsReadApartShareTheirEqualLabelSets(kind: StoreKind) async throws {
        let labels = ["app.kubernetes.io/name": "checkout-service", "app.kubernetes.io/part-of": "payments-platform"]
        let workloads = [Self.workload("web-1", host: "node-1", labels: labels), Self.workload("web-2", host: "node-2", labels: labels)]
        try await Self.withModel(kind, holding: workloads) { store, model in
            // node-2's workloads read again on their own, as an attaching agent's host is.
            try await model.refresh(host: "node-2", from: store)
            let planned = model.inputs(now: Date(), tunnelKeySecret: Self.secret).workloads.sorted { $0.name < $1.name }
            #expect(planned.map(\.spec.labels) == [labels, labels])
            let storage = planned.map { workload in withUnsafeBytes(of: workload.spec.labels) { Array($0) } }
            #expect(storage[0] == storage[1])
        }
    }
}
