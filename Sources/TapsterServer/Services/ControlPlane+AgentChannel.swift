import Foundation
import GRPCCore
import Logging
import TapsterCore
import TapsterPKI
import TapsterStore
import TapsterWire
import X509

/// What the agent channel asks of the control plane: enrolment, admission of a connection, and the
/// agent's reports. Refusals are ``TapsterError``s (`unauthenticated`, `forbidden`, `invalid_argument`),
/// which the channel turns into gRPC statuses.
extension ControlPlane {
    /// An agent's certificate and the CA's, as enrolment answers them.
    struct Enrolment: Sendable {
        var agent: Agent
        var certificatePEM: String
        var caCertificatePEM: String
    }

    /// Enrols agent `name` with a join token, certifying `publicKey` (of the bootstrap certificate it
    /// presented). The token must exist, match, be unused and unexpired; it is used up in the same
    /// transaction that records the agent, so it serves once even when agents race. Enrolling an
    /// existing name again replaces its certificate (the old serial is revoked); a revoked agent is
    /// refused until an admin deletes it. Audited as `agent.enrolled`.
    func enrollAgent(joinToken text: String, name: String, version: String, publicKey: Certificate.PublicKey) async throws -> Enrolment {
        let (pki, _) = try await agentChannel()
        try ResourceName.validate(name, field: "name")
        let token: JoinToken
        do {
            token = try JoinToken(parsing: text)
        } catch {
            throw TapsterError(.unauthenticated, "the join token is malformed: \(error)")
        }
        guard token.caFingerprint == pki.authority.fingerprint else {
            throw TapsterError(.unauthenticated, "join token \(token.id) was made for another server's CA (\(token.caFingerprint))")
        }
        let at = now
        guard let stored = try await store.findAgentJoinToken(id: token.id),
              ConstantTime.equals(stored.secretHash, token.secretHash) else {
            throw TapsterError(.unauthenticated, "join token \(token.id) is unknown")
        }
        try Self.requireUsable(stored.token, at: at)
        if let existing = try await store.findAgent(name), existing.state == .revoked {
            throw Self.revokedError(existing)
        }
        let issued = try pki.authority.issueAgentCertificate(name: name, publicKey: publicKey, now: at)
        let (agent, replaced) = try await store.transaction { session in
            let previous = try await session.lockAgent(named: name)
            if let previous, previous.state == .revoked { throw Self.revokedError(previous) }
            guard try await session.redeemAgentJoinToken(id: token.id, by: name, at: at) else {
                // Another enrolment used it, or it expired, since it was read.
                let current = try await session.findAgentJoinToken(id: token.id)?.token ?? stored.token
                try Self.requireUsable(current, at: at)
                throw TapsterError(.unauthenticated, "join token \(token.id) was already used")
            }
            var agent = previous ?? Agent(name: name, state: .disconnected, createdAt: at)
            agent.version = version.isEmpty ? agent.version : version
            agent.certificateSerial = issued.serial
            agent.enrolledAt = at
            try await session.upsertAgent(agent)
            let replaced = previous?.certificateSerial
            if let replaced { try await session.insertRevokedSerial(replaced, agent: name, at: at) }
            var details = ["token": token.id, "serial": issued.serial, "version": version]
            details["replaced_serial"] = replaced
            try await audit(session, Self.agentActor(name), AuditAction.agentEnrolled, .agent, id: agent.id, name: name, tenant: nil,
                            details: details)
            return (agent, replaced)
        }
        if let replaced {
            pki.revocations.insert(serial: replaced)
            await agentHub.close(name, with: .init(code: .permissionDenied, message: "agent \(name) enrolled again: this certificate is revoked"))
        }
        agentsChanged()
        return Enrolment(agent: agent, certificatePEM: issued.pem, caCertificatePEM: pki.authority.certificatePEM)
    }

    /// Admits a control channel opened with agent `name`'s certificate `serial`: the agent must be
    /// enrolled, not revoked, and this must be its current certificate.
    func admitAgent(name: String, serial: String) async throws -> Agent {
        guard let agent = try await store.findAgent(name) else {
            throw TapsterError(.unauthenticated, "no agent named \(name) is enrolled (was it deleted?); enrol it again with a join token")
        }
        if agent.state == .revoked || agentPKI?.revocations.contains(serial: serial) == true {
            throw Self.revokedError(agent)
        }
        guard agent.certificateSerial?.lowercased() == serial.lowercased() else {
            throw TapsterError(.forbidden, "this certificate of agent \(name) (serial \(serial)) was replaced by a later enrolment")
        }
        return agent
    }

    /// Records that `name` opened its control channel with `hello`, from `address`.
    func agentConnected(_ name: String, hello: Tapster_Agent_V1_Hello, address: String?) async throws {
        try await updateAgent(name) { agent, at in
            agent.state = .connected
            agent.version = hello.version.isEmpty ? agent.version : hello.version
            agent.hostname = hello.hostname.isEmpty ? nil : hello.hostname
            agent.tunnelAddress = hello.tunnelAddress.isEmpty ? nil : hello.tunnelAddress
            agent.address = address
            agent.appliedRevision = hello.appliedRevision
            agent.connectedAt = at
            agent.lastSeenAt = at
        }
        agentsChanged()
    }

    /// Records that a message arrived from `name` (so it is connected); a status report also tells the
    /// revision it applied.
    func agentSeen(_ name: String, appliedRevision: UInt64? = nil) async throws {
        try await updateAgent(name) { agent, at in
            agent.state = .connected
            agent.lastSeenAt = at
            if let appliedRevision { agent.appliedRevision = appliedRevision }
        }
    }

    /// Records that `name`'s control channel closed.
    func agentDisconnected(_ name: String) async throws {
        try await updateAgent(name) { agent, at in
            if agent.state == .connected { agent.state = .disconnected }
        }
    }

    /// Replaces the workloads `name` reported before with `inventory` (see ``InventoryMerge``).
    /// Returns the reports it skipped, with why.
    @discardableResult
    func reportInventory(_ name: String, _ inventory: Tapster_Agent_V1_Inventory) async throws -> [String] {
        let changes = try await store.transaction { session in
            let existing = try await session.list(.workloads, tenants: nil).filter { $0.host == name }
            let tenants = Set(try await session.list(.tenants, tenants: nil).map(\.name))
            let changes = InventoryMerge.merge(inventory, agent: name, existing: existing, tenants: tenants, now: now)
            for workload in changes.deleted { try await session.delete(id: workload.id, from: .workloads) }
            for workload in changes.updated { try await session.update(workload, in: .workloads) }
            for workload in changes.inserted { try await session.insert(workload, into: .workloads) }
            return changes
        }
        if !changes.isEmpty { agentsChanged() }
        if !changes.rejected.isEmpty {
            logger.warning("agent reported workloads that cannot be stored", metadata: [
                "agent": "\(name)", "rejected": "\(changes.rejected.joined(separator: "; "))"])
        }
        return changes.rejected
    }

    /// Stores `name`'s status of each tap it reports (unknown taps are ignored), for `tapster tap get`
    /// and `/metrics`.
    func reportStatus(_ name: String, _ report: Tapster_Agent_V1_StatusReport) async throws {
        guard !report.taps.isEmpty else { return }
        let at = now
        let statuses = try await store.transaction { session in
            var stored: [(String, TapAgentStatus)] = []
            for tap in report.taps where Identifier.isIdentifier(tap.tapID) {
                guard try await session.findTap(id: tap.tapID) != nil else { continue }
                let status = Self.status(of: tap, agent: name, at: at)
                try await session.upsertTapAgentStatus(tapID: tap.tapID, status)
                stored.append((tap.tapID, status))
            }
            return stored
        }
        for (tapID, status) in statuses { tapCounters.record(tapID: tapID, status) }
    }

    /// The stored form of one reported tap status.
    static func status(of tap: Tapster_Agent_V1_TapStatus, agent: String, at: Date) -> TapAgentStatus {
        let state: TapAgentStatus.State = switch tap.state {
        case .applied: .applied
        case .failed: .failed
        case .stopped: .stopped
        case .unspecified, .UNRECOGNIZED: .pending
        }
        let drops = DropCounts(kernel: tap.kernelDrops, cap: tap.capDrops, send: tap.sendDrops, buffer: tap.bufferDrops)
        return TapAgentStatus(agent: agent, state: state, reason: tap.reason.isEmpty ? nil : String(tap.reason.prefix(1024)),
                              packets: tap.packets, bytes: tap.bytes, drops: drops.total, dropsByCause: drops, updatedAt: at)
    }

    // MARK: Parts

    /// Read-modify-write of agent `name` in one transaction (its row locked); a revoked agent is left alone.
    private func updateAgent(_ name: String, _ change: @escaping @Sendable (inout Agent, Date) -> Void) async throws {
        let at = now
        try await store.transaction { session in
            guard var agent = try await session.lockAgent(named: name), agent.state != .revoked else { return }
            change(&agent, at)
            try await session.upsertAgent(agent)
        }
    }

    /// Refuses when a join token was used or has expired.
    static func requireUsable(_ token: AgentJoinToken, at: Date) throws(TapsterError) {
        if let used = token.usedAt {
            throw TapsterError(.unauthenticated,
                               "join token \(token.id) was already used (by agent \(token.usedBy ?? "?") at \(TapsterJSON.formatTime(used)))")
        }
        guard token.expiresAt > at else {
            throw TapsterError(.unauthenticated, "join token \(token.id) expired at \(TapsterJSON.formatTime(token.expiresAt))")
        }
    }

    static func revokedError(_ agent: Agent) -> TapsterError {
        let when = agent.revokedAt.map { " at \(TapsterJSON.formatTime($0))" } ?? ""
        return TapsterError(.forbidden, "agent \(agent.name) was revoked\(when); an admin must delete it (tapster agent delete \(agent.name)) before it can enrol again")
    }

    /// The audit actor of what an agent does itself.
    static func agentActor(_ name: String) -> Principal {
        Principal(userID: "", name: "agent/\(name)", role: .auditor, tenants: [])
    }
}

/// Comparison that takes the same time wherever the texts differ (for secrets' hashes).
enum ConstantTime {
    static func equals(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
