import Foundation
import TapsterCore
import TapsterStore
import TapsterTestSupport
import Testing

/// Agents and server-wide settings.
@Suite struct AgentAndSettingTests {
    @Test(arguments: StoreKind.available)
    func upsertAgentInsertsThenReplacesById(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            var agent = Agent(name: "host-a", version: "0.1.0", state: .connected, createdAt: Fixtures.start, lastSeenAt: Fixtures.at(1))
            try await db.store.upsertAgent(agent)
            agent.state = .disconnected
            agent.lastSeenAt = Fixtures.at(99)
            try await db.store.upsertAgent(agent)
            #expect(try await db.store.listAgents() == [agent])
            #expect(try await db.store.findAgent(agent.id) == agent)
            #expect(try await db.store.findAgent("host-a") == agent)
            #expect(try await db.store.findAgent("host-z") == nil)
        }
    }

    @Test(arguments: StoreKind.available)
    func listAgentsIsOrderedByName(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            for name in ["host-c", "host-a", "host-b"] {
                try await db.store.upsertAgent(Agent(name: name, state: .connected, createdAt: Fixtures.start))
            }
            #expect(try await db.store.listAgents().map(\.name) == ["host-a", "host-b", "host-c"])
        }
    }

    @Test(arguments: StoreKind.available)
    func anotherAgentWithATakenNameIsAlreadyExists(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            try await db.store.upsertAgent(Agent(name: "host-a", state: .connected, createdAt: Fixtures.start))
            let error = await #expect(throws: TapsterError.self) {
                try await db.store.upsertAgent(Agent(name: "host-a", state: .connected, createdAt: Fixtures.start))
            }
            #expect(error == TapsterError(.alreadyExists, "agent \"host-a\" already exists"))
        }
    }

    @Test(arguments: StoreKind.available)
    func settingIsNilUntilSetThenHoldsTheLastValue(kind: StoreKind) async throws {
        try await TestDatabase.with(kind) { db in
            #expect(try await db.store.setting("first_admin_created") == nil)
            try await db.store.setSetting("first_admin_created", "yes")
            try await db.store.setSetting("first_admin_created", "2026-01-01")
            #expect(try await db.store.setting("first_admin_created") == "2026-01-01")
        }
    }
}
