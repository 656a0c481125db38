/// Which of an agent's status reports go on its control channel: one that says something new goes at once (at
/// the agent's next status tick), one equal to the last sent only once `heartbeat` has passed since it.
///
/// Why: an idle agent's report is the same every second (its applied revision, no tap, no recorder), and each
/// costs the server a TLS record, an HTTP/2 frame, a gRPC message, a protobuf decode and a task — for 10,000
/// idle agents about one of the server's cores (Benchmarks/README.md, "Status reports only when they change").
/// Everything the server learns from a report changes it: a new applied revision, a tap that started, failed or
/// stopped (also at its own deadline), counters that moved, a recorder's figures — except what grows with time
/// alone, which the server works out when asked (a recorder's oldest packet's age, from its time stamp). The
/// heartbeat keeps the server's "last seen" within about 42 s (its own 30 s precision, `AgentPresence`, plus the
/// heartbeat and a flush) and lies well inside the server's keepalive (30 s), which finds a vanished agent.
///
/// One value per channel: a new channel's first report is always sent.
public struct StatusPacing: Sendable {
    /// How long an unchanged report is held back at most.
    public static let defaultHeartbeat: Duration = .seconds(10)

    /// How long a report equal to the last one sent is held back at most.
    public let heartbeat: Duration
    private var lastSent: Tapster_Agent_V1_StatusReport?
    private var lastSentAt: ContinuousClock.Instant?

    /// Pacing for a new channel: its first report is sent whatever it says.
    public init(heartbeat: Duration = StatusPacing.defaultHeartbeat) {
        self.heartbeat = heartbeat
    }

    /// Whether `report` is to be sent at `now`; if so it becomes the last sent (a channel whose write then fails is
    /// over, and the next channel starts with a fresh pacing).
    public mutating func shouldSend(_ report: Tapster_Agent_V1_StatusReport, at now: ContinuousClock.Instant) -> Bool {
        if let lastSent, let lastSentAt, lastSent == report, now < lastSentAt.advanced(by: heartbeat) { return false }
        lastSent = report
        lastSentAt = now
        return true
    }
}
