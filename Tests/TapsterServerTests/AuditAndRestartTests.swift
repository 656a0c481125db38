import Foundation
import HTTPTypes
import Testing
@testable import TapsterServer
import TapsterAPI
import TapsterCore
import TapsterStore
import TapsterTestSupport

/// Every change is audited in a verifiable chain, and a restart loses nothing.
@Suite struct AuditAndRestartTests {
    @Test(arguments: StoreKind.available)
    func everyChangeOfTheSetUpIsAudited(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            _ = try await Fixture.make(api)
            let events = try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&limit=1000", token: TestServer.adminToken)
            let actions = Set(events.items.map(\.action))
            #expect(actions.isSuperset(of: ["user.created", "tenant.created", "token.created", "target.created",
                                            "filter.created", "grant.created", "workload.created"]))
            #expect(events.items.map(\.sequence) == Array(1...Int64(events.items.count)))
            let verification = try await api.expect(AuditVerification.self, .get, "/api/v1/audit/verify", token: TestServer.adminToken)
            #expect(verification == AuditVerification(valid: true, checked: events.items.count, firstBrokenSequence: nil, reason: nil))
        }
    }

    @Test(arguments: StoreKind.available)
    func auditIsFilteredByActorAndAction(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let fixture = try await Fixture.make(api)
            _ = try await fixture.aliceTap(api)
            let events = try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&actor=alice&action=tap.created&since=1h",
                                              token: TestServer.adminToken)
            #expect(events.items.count == 1)
            #expect(events.items.first?.details["filter"] == "web-to-db")
        }
    }

    @Test(arguments: StoreKind.available)
    func tapsDeadlinesAndAuditSurviveARestart(kind: StoreKind) async throws {
        try await TestServer.slots.run { try await TestDatabase.with(kind) { database in
            let (tapID, deadline, eventCount) = try await TestServer.serve(database.store) { api, _ in
                let fixture = try await Fixture.make(api)
                let tap = try await fixture.aliceTap(api, for: "1h")
                let events = try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&limit=1000", token: TestServer.adminToken)
                return (tap.tap.id, tap.tap.deadline, events.items.count)
            }
            try await TestServer.serve(database.store) { api, _ in
                let tap = try await api.expect(Tap.self, .get, "/api/v1/taps/\(tapID)", token: TestServer.adminToken)
                #expect(tap.state == .active)
                #expect(abs(tap.deadline.timeIntervalSince(deadline)) < 0.002)
                let events = try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&limit=1000", token: TestServer.adminToken)
                #expect(events.items.count == eventCount)
                #expect(try await api.expect(AuditVerification.self, .get, "/api/v1/audit/verify", token: TestServer.adminToken).valid)
            }
        } }
    }

    @Test(arguments: StoreKind.available)
    func tapWhoseDeadlinePassedWhileTheServerWasDownIsExpiredAtStart(kind: StoreKind) async throws {
        try await TestServer.slots.run { try await TestDatabase.with(kind) { database in
            let tapID = try await TestServer.serve(database.store) { api, _ in
                try await Fixture.make(api).aliceTap(api, for: "30s").tap.id
            }
            // The server comes back two minutes later.
            let later: @Sendable () -> Date = { Date().addingTimeInterval(120) }
            try await TestServer.serve(database.store, clock: later) { api, _ in
                let tap = try await api.expect(Tap.self, .get, "/api/v1/taps/\(tapID)", token: TestServer.adminToken)
                #expect(tap.state == .expired)
                let events = try await api.expect(ItemList<AuditEvent>.self, .get, "/api/v1/audit?order=oldest&tap=\(tapID)", token: TestServer.adminToken)
                #expect(events.items.map(\.action) == ["tap.created", "tap.expired"])
                #expect(events.items.last?.actor == "system")
            }
        } }
    }

    @Test(arguments: StoreKind.available)
    func secondStartCreatesNoNewAdminSecret(kind: StoreKind) async throws {
        try await TestServer.slots.run { try await TestDatabase.with(kind) { database in
            let controlPlane = ControlPlane(store: database.store, passwordCost: TestServer.passwordCost, logger: TestServer.logger)
            let first = try await Bootstrap.run(controlPlane.identity, adminToken: nil)
            let second = try await Bootstrap.run(controlPlane.identity, adminToken: nil)
            #expect(first?.name == "admin")
            #expect(second == nil)
            #expect(try await database.store.listUsers().map(\.name) == ["admin"])
        } }
    }

    @Test(arguments: StoreKind.available)
    func adminTokenFromTheEnvironmentBecomesTheFirstAdminsToken(kind: StoreKind) async throws {
        try await TestServer.run(kind) { api, _ in
            let me = try await api.expect(User.self, .get, "/api/v1/whoami", token: TestServer.adminToken)
            #expect(me.name == "admin")
            #expect(me.role == .admin)
            #expect(me.mustChangePassword)
        }
    }
}
