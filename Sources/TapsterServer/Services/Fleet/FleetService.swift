import TapsterCore

/// The agents: join tokens, enrolment, admission of their control channels, what they report
/// (inventory, tap statuses), revocation and deletion, and the metrics they feed.
public struct FleetService: ContextualService {
    let context: ServiceContext
    /// The agents' control channels and what each must run.
    let agentHub: AgentHub
    /// The agent channel's CA and revocation list; `nil` when this server runs no agent channel.
    let agentPKI: AgentPKI?
    /// The latest per-tap counters agents reported, for `/metrics`.
    let tapCounters: TapCounters
    /// Audits refused enrolments and reports, rate-limited.
    let refusals: RefusalAuditor
    /// When each agent connected here was last heard from, written in batches.
    let presence = AgentPresence()
    /// What agents last reported of each recorder on their hosts.
    let recorderStatuses = RecorderStatuses()
}
