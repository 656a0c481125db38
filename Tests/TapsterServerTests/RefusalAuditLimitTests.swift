import Foundation
import HTTPTypes
import Testing
import TapsterAPI
import TapsterCore
@testable import TapsterServer
import TapsterStore
import TapsterTestSupport

/// Refusals anyone can provoke reach the audit log at most once per source and interval, and the
/// repeats left out are counted in the next event, so an attacker cannot fill the log and nothing is lost.
@Suite struct RefusalAuditLimitTests {
    @Test(arguments: StoreKind.available)
    func aBurstOfRefusedEnrolmentsIsOneEventAndTheNextCarriesTheSuppressedCount(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let stolen = try await harness.joinToken(for: "spare-7")
            let rogue = try harness.agent("web-1")
            for _ in 1...5 {
                _ = try await AgentEnrolmentTests.refusal { try await rogue.enroll(token: stolen.token) }
            }
            let path = "/api/v1/audit?order=oldest&action=agent.enrolment_refused"
            let burst = try await harness.api.expect(ItemList<AuditEvent>.self, .get, path, token: TestServer.adminToken)
            #expect(burst.items.count == 1)
            #expect(burst.items.first?.details[RefusalAuditLimiter.suppressedKey] == nil)

            harness.clock.advance(by: harness.controlPlane.refusals.limiter.interval)
            _ = try await AgentEnrolmentTests.refusal { try await rogue.enroll(token: stolen.token) }

            let after = try await harness.api.expect(ItemList<AuditEvent>.self, .get, path, token: TestServer.adminToken)
            #expect(after.items.count == 2)
            #expect(after.items.last?.details[RefusalAuditLimiter.suppressedKey] == "4")
            #expect(after.items.last?.details["address"] == "127.0.0.1")
        }
    }

    @Test(arguments: StoreKind.available)
    func whenRefusalsStopTheirCountIsAuditedOnceTheIntervalHasPassed(kind: StoreKind) async throws {
        try await AgentHarness.run(kind) { harness in
            let stolen = try await harness.joinToken(for: "spare-7")
            let rogue = try harness.agent("web-1")
            for _ in 1...3 {
                _ = try await AgentEnrolmentTests.refusal { try await rogue.enroll(token: stolen.token) }
            }
            await harness.controlPlane.refusals.auditOverdueRefusals()  // within the interval: nothing is due yet
            harness.clock.advance(by: harness.controlPlane.refusals.limiter.interval)
            await harness.controlPlane.refusals.auditOverdueRefusals()
            await harness.controlPlane.refusals.auditOverdueRefusals()  // the count is reported once

            let path = "/api/v1/audit?order=oldest&action=agent.enrolment_refused"
            let events = try await harness.api.expect(ItemList<AuditEvent>.self, .get, path, token: TestServer.adminToken)
            #expect(events.items.map { $0.details[RefusalAuditLimiter.suppressedKey] } == [nil, "2"])
            #expect(events.items.last?.details["address"] == "127.0.0.1")
            #expect(events.items.last?.objectName == "web-1")
        }
    }

    static func refusal(_ subject: String, _ details: [String: String] = [:]) -> AuditEntry {
        AuditEntry(actor: "system", action: "x", objectType: "capture", objectId: subject, details: details)
    }

    @Test func newSubjectsBeyondTheTableShareOneOverflowKeyThatNamesTheirObjects() {
        let clock = TestClock()
        let limiter = RefusalAuditLimiter(interval: 60, capacity: 2, clock: { clock.now })
        #expect(limiter.admit(Self.refusal("a"), subject: "a") == Self.refusal("a"))
        #expect(limiter.admit(Self.refusal("b"), subject: "b") == Self.refusal("b"))
        _ = limiter.admit(Self.refusal("b"), subject: "b")  // b now owes a count, so it is not forgotten
        #expect(limiter.admit(Self.refusal("c"), subject: "c") == Self.refusal("c"))  // the overflow key's first event
        #expect(limiter.admit(Self.refusal("d"), subject: "d", source: "192.0.2.7") == nil)
        clock.advance(by: 60)
        #expect(limiter.admit(Self.refusal("e", ["k": "v"]), subject: "e")
                == Self.refusal("e", ["k": "v", RefusalAuditLimiter.suppressedKey: "1", RefusalAuditLimiter.objectsKey: "d:1",
                                      RefusalAuditLimiter.sourcesKey: "192.0.2.0/24"]))
    }

    @Test func rotatingSubjectsCannotPassTheBudgetOfTheAction() {
        let clock = TestClock()
        let limiter = RefusalAuditLimiter(interval: 60, budget: 3, clock: { clock.now })
        let admitted = (0..<10).compactMap { limiter.admit(Self.refusal("c1"), subject: "10.0.\($0).1", source: "10.0.\($0).1") }
        #expect(admitted.count == 3, "at most the budget, whatever the subjects")
        #expect(limiter.overdue().isEmpty, "within the interval, nothing more")
        clock.advance(by: 60)
        let reports = limiter.overdue()
        #expect(reports.count == 3, "the budget again, refilled over the interval")
        #expect(reports.allSatisfy { $0.details[RefusalAuditLimiter.suppressedKey] == "1" })
        clock.advance(by: 60)
        #expect(limiter.overdue().count == 3)
        clock.advance(by: 60)
        #expect(limiter.overdue().count == 1, "every count is reported in the end, once")
        clock.advance(by: 60)
        #expect(limiter.overdue().isEmpty)
    }

    @Test func addressesAreCountedByTheirNetwork() {
        #expect(RefusalAuditLimiter.prefix("192.0.2.77") == "192.0.2.0/24")
        #expect(RefusalAuditLimiter.prefix("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64")
        #expect(RefusalAuditLimiter.prefix("::1") == "0:0:0:0::/64")
        #expect(RefusalAuditLimiter.prefix("not an address") == "not an address")
    }
}
