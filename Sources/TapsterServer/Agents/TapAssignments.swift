import Foundation
import TapsterCore

/// Which taps each agent has been planned lately, and on how many sources: what the agent service
/// checks before it accepts an agent's packet batches or status for a tap. An agent may write only into
/// the captures and tap statuses the planner assigned to it — never another host's.
///
/// A tap stays assigned for ``grace`` after it leaves an agent's plan (stopped, expired, its workload
/// gone): the agent's last batches and final status arrive after that.
struct TapAssignments: Sendable {
    /// One tap planned for one agent.
    struct Assignment: Sendable, Equatable {
        /// The capture sources (interfaces) it was planned on this agent: the most interfaces its
        /// batches may describe.
        var sources: Int
        /// When a plan last held it.
        var plannedAt: Date
    }

    /// How long an assignment outlives the last plan that held it.
    static let grace: TimeInterval = 120

    private var byAgent: [String: [String: Assignment]] = [:]
    /// Agent → recorder name → when a plan last held it (the recorders whose statuses the agent may report).
    private var recordersByAgent: [String: [String: Date]] = [:]

    /// Records every agent's plan made `at`, and forgets assignments older than ``grace``.
    mutating func record(_ plans: [String: AgentPlan], at time: Date) {
        for (agent, plan) in plans {
            for tap in plan.taps {
                // A tap that lost sources keeps its larger bound as long as its interfaces may still be described.
                let earlier = assignment(of: tap.tapID, to: agent, at: time)?.sources ?? 0
                byAgent[agent, default: [:]][tap.tapID] = Assignment(sources: max(earlier, tap.sources.count), plannedAt: time)
            }
            for recorder in plan.recorders { recordersByAgent[agent, default: [:]][recorder.name] = time }
        }
        for agent in recordersByAgent.keys {
            recordersByAgent[agent] = recordersByAgent[agent]?.filter { time.timeIntervalSince($0.value) < Self.grace }
            if recordersByAgent[agent]?.isEmpty == true { recordersByAgent[agent] = nil }
        }
        for agent in byAgent.keys {
            byAgent[agent] = byAgent[agent]?.filter { time.timeIntervalSince($0.value.plannedAt) < Self.grace }
            if byAgent[agent]?.isEmpty == true { byAgent[agent] = nil }
        }
    }

    /// `tapID`'s assignment to `agent`, if a plan held it within ``grace`` before `time`.
    func assignment(of tapID: String, to agent: String, at time: Date) -> Assignment? {
        guard let assignment = byAgent[agent]?[tapID], time.timeIntervalSince(assignment.plannedAt) < Self.grace else { return nil }
        return assignment
    }

    /// Whether a plan held recorder `name` for `agent` within ``grace`` before `time` (a plan holds only
    /// recorders that exist: a deleted one leaves the agents' plans, and their assignments after ``grace``).
    func isAssigned(recorder name: String, to agent: String, at time: Date) -> Bool {
        guard let plannedAt = recordersByAgent[agent]?[name] else { return false }
        return time.timeIntervalSince(plannedAt) < Self.grace
    }
}
