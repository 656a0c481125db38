import Foundation
import HTTPTypes
import Testing
import TapsterAPI
import TapsterCore
import TapsterServer
import TapsterStore
import TapsterSystemTestSupport
import TapsterTestSupport

/// Creating, stopping, expiring and re-activating taps through the native API, on every store.
@Suite struct TapLifecycleTests {
    @Test(arguments: StoreKind.available)
    func createdTapIsActiveWithDeadlineAndMatchedWorkloads(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let before = Date()
            let created = try await fixture.aliceTap(api, for: "15m")
            let after = Date()
            #expect(created.tap.state == .active)
            #expect(created.tap.owner == "alice")
            #expect(created.tap.tenant == "shop")
            #expect(created.tap.matchedWorkloads == 2)
            #expect(created.warnings.isEmpty)
            // 15 minutes from when the server handled the request, whenever that was within the call.
            #expect(created.tap.deadline >= before.addingTimeInterval(900).addingTimeInterval(-0.001)
                    && created.tap.deadline <= after.addingTimeInterval(900), "\(created.tap.deadline) for a call from \(before) to \(after)")
        }
    }

    @Test(arguments: StoreKind.available)
    func tapMatchingNoWorkloadIsCreatedWithAWarning(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let created = try await api.expect(TapView.self, .post, "/api/v1/taps", token: fixture.bob,
                                               json: TapRequest(filter: "bank-filter", target: "bank-tool", duration: TapDuration(seconds: 60)))
            #expect(created.tap.state == .active)
            #expect(created.tap.matchedWorkloads == 0)
            #expect(created.warnings == ["filter \"bank-filter\" matches no known workload yet; packets flow as soon as agents report matching workloads"])
        }
    }

    @Test(arguments: StoreKind.available)
    func tapExpiresByItselfAtItsDeadlineWithoutAnyRequest(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, controlPlane in
            let fixture = try await Fixture.make(api)
            let created = try await fixture.aliceTap(api, for: "2s")
            let expired = try await eventually(timeout: .seconds(30), "tap to expire") {
                let tap = try await controlPlane.store.findTap(id: created.tap.id)
                return tap?.state == .expired ? tap : nil
            }
            let lateness = try #require(expired.endedAt).timeIntervalSince(expired.deadline)
            // Never before its deadline. After it, by the scheduler's own wake-up (at most every 250 ms) — the bound
            // allows for a loaded machine's scheduling delay; how late is not a performance claim.
            #expect(lateness >= 0 && lateness < 10, "expired \(lateness) s after its deadline")
            let events = try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&tap=\(created.tap.id)", token: fixture.admin)
            #expect(events.items.map(\.action) == ["tap.created", "tap.expired"])
            #expect(events.items.last?.actor == "system")
        }
    }

    @Test(arguments: StoreKind.available)
    func ownerStoppingATapRecordsStoppedByUser(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let created = try await fixture.aliceTap(api)
            let stopped = try await api.expect(Tap.self, .post, "/api/v1/taps/\(created.tap.id)/stop", token: fixture.alice)
            #expect(stopped.state == .stopped)
            #expect(stopped.stoppedBy == .user)
            #expect(stopped.stoppedByUser == "alice")
        }
    }

    @Test(arguments: StoreKind.available)
    func tenantMemberCanStopATeammatesTap(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let created = try await fixture.aliceTap(api)
            let stopped = try await api.expect(Tap.self, .post, "/api/v1/taps/\(created.tap.id)/stop", token: fixture.carol)
            #expect(stopped.stoppedBy == .user)
            #expect(stopped.stoppedByUser == "carol")
        }
    }

    @Test(arguments: StoreKind.available)
    func adminStoppingAnOwnersTapRecordsStoppedByAdmin(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let created = try await fixture.aliceTap(api)
            let stopped = try await api.expect(Tap.self, .post, "/api/v1/taps/\(created.tap.id)/stop", token: fixture.admin)
            #expect(stopped.stoppedBy == .admin)
            let events = try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&tap=\(created.tap.id)", token: fixture.admin)
            #expect(events.items.last?.action == "tap.stopped")
            #expect(events.items.last?.details["stopped_by"] == "admin")
            #expect(events.items.last?.actor == "admin")
        }
    }

    @Test(arguments: StoreKind.available)
    func stoppingAnEndedTapIsAnInvalidStateConflict(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let created = try await fixture.aliceTap(api)
            _ = try await api.expect(Tap.self, .post, "/api/v1/taps/\(created.tap.id)/stop", token: fixture.alice)
            let (status, error) = try await api.failure(.post, "/api/v1/taps/\(created.tap.id)/stop", token: fixture.alice)
            #expect(status == 409)
            #expect(error.code == .invalidState)
        }
    }

    @Test(arguments: StoreKind.available)
    func reactivatingAnEndedTapOpensANewLinkedActivePeriod(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let first = try await fixture.aliceTap(api, for: "10m")
            _ = try await api.expect(Tap.self, .post, "/api/v1/taps/\(first.tap.id)/stop", token: fixture.alice)
            let again = try await api.expect(TapView.self, .post, "/api/v1/taps/\(first.tap.id)/reactivate", token: fixture.alice,
                                             json: ReactivateRequest(duration: TapDuration(seconds: 300)))
            #expect(again.tap.id != first.tap.id)
            #expect(again.tap.state == .active)
            #expect(again.tap.reactivatedFrom == first.tap.id)
            #expect(again.tap.filter == "web-to-db")
            #expect(again.tap.target == "wireshark-1")
            #expect(again.tap.duration.seconds == 300)
            let events = try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&tap=\(again.tap.id)", token: fixture.admin)
            #expect(events.items.map(\.action) == ["tap.reactivated"])
            #expect(events.items.first?.details["reactivated_from"] == first.tap.id)
        }
    }

    @Test(arguments: StoreKind.available)
    func reactivatingALiveTapIsAnInvalidStateConflict(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let live = try await fixture.aliceTap(api)
            let (status, error) = try await api.failure(.post, "/api/v1/taps/\(live.tap.id)/reactivate", token: fixture.alice)
            #expect(status == 409)
            #expect(error.code == .invalidState)
        }
    }

    @Test(arguments: StoreKind.available)
    func tapListIsFilteredByState(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            let stopped = try await fixture.aliceTap(api)
            _ = try await api.expect(Tap.self, .post, "/api/v1/taps/\(stopped.tap.id)/stop", token: fixture.alice)
            let active = try await fixture.aliceTap(api)
            let list = try await api.expect(ItemList<Tap>.self, .get, "/api/v1/taps?state=active", token: fixture.alice)
            #expect(list.items.map(\.id) == [active.tap.id])
        }
    }
}
