import Foundation
import TapsterCore
import TapsterSystemTestSupport
import Testing

/// Four-eyes approval with a real server and a real agent: a tap waiting for approval reaches no agent; approved by an
/// admin, it does, with its deadline counted from the approval; unanswered, it expires without ever reaching one.
@Suite("Approval end to end", .serialized, .timeLimit(.minutes(5)))
struct ApprovalEndToEndTests {
    /// Filter `web`, a full-payload ERSPAN target `tool` alice may use only with approval, and `headers-tool`, which she
    /// may use at once (the control: once the agent applied a tap created later, it has had every earlier one).
    static func setUp(_ lab: DataPlaneLab) async throws {
        try await lab.admin(["filter", "create", "web", "--selector", "app=web", "--bpf", "tcp port 5432"])
        try await lab.admin(["target", "create", "tool", "--kind", "erspan", "--session-id", "11", "--destination", lab.topology.tool.address])
        try await lab.admin(["target", "create", "headers-tool", "--kind", "erspan", "--session-id", "12", "--payload", "headers:128",
                             "--destination", lab.topology.tool.address])
        try await lab.admin(["policy", "set", "approval-for-full-payload", "on"])
        try await lab.grant(filter: "web", target: "tool")
        try await lab.grant(filter: "web", target: "headers-tool")
    }

    @Test func aPendingTapReachesTheAgentOnlyOnceAnotherAdminApprovesIt() async throws {
        try await DataPlaneLab.with { lab in
            try await Self.setUp(lab)
            let pending = try await lab.createTap(filter: "web", target: "tool", duration: "10m")
            #expect(try await lab.tap(pending).state == .pending)
            let control = try await lab.createTap(filter: "web", target: "headers-tool")
            try await lab.waitForTap(control, state: .applied)
            #expect(try await lab.agentStatus(tap: pending) == nil, "the agent had the later tap, and not the pending one")

            let approved = try lab.decode(Tap.self, try await lab.admin(["tap", "approve", pending, "-o", "json"]).stdout)
            #expect(approved.state == .active)
            let decidedAt = try #require(approved.approval?.decidedAt)
            #expect(approved.deadline == decidedAt.addingTimeInterval(600))
            #expect(approved.approval?.approver == "admin")
            try await lab.waitForTap(pending, state: .applied)
        }
    }

    @Test func anUnansweredRequestExpiresWithoutEverReachingTheAgent() async throws {
        try await DataPlaneLab.with(serverArguments: ["--approval-timeout", "3s"]) { lab in
            try await Self.setUp(lab)
            let pending = try await lab.createTap(filter: "web", target: "tool", duration: "10m")
            let expired = try await eventually(timeout: .seconds(30), every: .milliseconds(500), "the request to expire") {
                let tap = try await lab.tap(pending)
                return tap.state == .expired ? tap : nil
            }
            #expect(expired.approval?.state == .expired)
            // A tap created afterwards is applied: the agent has had every desired set since, never with the expired one.
            let control = try await lab.createTap(filter: "web", target: "headers-tool")
            try await lab.waitForTap(control, state: .applied)
            #expect(try await lab.tap(pending).agents == nil)
            let audit = try await lab.admin(["audit", "list", "--tap", pending, "-o", "json"])
            #expect(audit.stdout.components(separatedBy: "tap.expired").count - 1 == 1, "\(audit.stdout)")
        }
    }
}
