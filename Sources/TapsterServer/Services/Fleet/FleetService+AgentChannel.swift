import Foundation
import GRPCCore
import Logging
import TapsterCore
import TapsterPKI
import TapsterStore
import TapsterWire
import X509

/// What the agent channel asks of the fleet service: enrolment, admission of a connection, and the
/// agent's reports. Refusals are ``TapsterError``s (`unauthenticated`, `forbidden`, `invalid_argument`),
/// which the channel turns into gRPC statuses.
extension FleetService {
    /// An agent's certificate and the CA's, as enrolment answers them.
    struct Enrolment: Sendable {
        var agent: Agent
        var certificatePEM: String
        var caCertificatePEM: String
    }

    /// Enrols agent `name` with a join token, certifying `publicKey` (of the bootstrap certificate it
    /// presented). The token must exist, match, be unused and unexpired, and be for this name; it is used
    /// up in the same transaction that records the agent, so it serves once even when agents race. An
    /// `enrol` token enrols only a name no agent has; an existing agent's identity is replaced only with a
    /// `reenrol` token made for it (its old serial is revoked and its channel closed). A revoked agent is
    /// refused until an admin deletes it. Audited as `agent.enrolled`, and every refusal as
    /// `agent.enrolment_refused` (with the name asked for and where from).
    func enrollAgent(joinToken text: String, name: String, version: String, publicKey: Certificate.PublicKey,
                     from address: String? = nil) async throws -> Enrolment {
        do {
            return try await enrol(joinToken: text, name: name, version: version, publicKey: publicKey)
        } catch let error as TapsterError {
            await auditRefusedEnrolment(joinToken: text, name: name, address: address, error: error)
            throw error
        }
    }

    private func enrol(joinToken text: String, name: String, version: String, publicKey: Certificate.PublicKey) async throws -> Enrolment {
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
        let purpose = try Self.requireFor(stored.token, name: name)
        if let existing = try await store.findAgent(name), existing.state == .revoked {
            throw Self.revokedError(existing)
        }
        let issued = try pki.authority.issueAgentCertificate(name: name, publicKey: publicKey, now: at)
        let (agent, replaced) = try await store.transaction { session in
            let previous = try await session.lockAgent(named: name)
            if let previous, previous.state == .revoked { throw Self.revokedError(previous) }
            try Self.requireTokenFits(purpose, agent: name, existing: previous)
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
            var details = ["token": token.id, "serial": issued.serial, "version": version, "purpose": purpose.rawValue]
            details["replaced_serial"] = replaced
            try await audit(session, Self.agentActor(name), AuditAction.agentEnrolled, .agent, id: agent.id, name: name, tenant: nil,
                            details: details)
            return (agent, replaced)
        }
        if let replaced {
            pki.revocations.insert(serial: replaced)
            await agentHub.close(name, with: .init(code: .permissionDenied, message: "agent \(name) enrolled again: this certificate is revoked"))
        }
        changes.publish(.agent(name: name, .updated))
        return Enrolment(agent: agent, certificatePEM: issued.pem, caCertificatePEM: pki.authority.certificatePEM)
    }

    /// Refuses a token made for another agent name (or before tokens named their host); returns its purpose.
    static func requireFor(_ token: AgentJoinToken, name: String) throws(TapsterError) -> AgentJoinToken.Purpose {
        guard let agent = token.agent, let purpose = token.purpose else {
            throw TapsterError(.unauthenticated, "join token \(token.id) names no agent (it was made before tokens named their host); "
                               + "create a new one: tapster agent token create \(name)")
        }
        guard agent == name else {
            throw TapsterError(.forbidden, "join token \(token.id) is for agent \(agent), not \(name)")
        }
        return purpose
    }

    /// Records a refused enrolment (what was asked, from where, why).
    private func auditRefusedEnrolment(joinToken text: String, name: String, address: String?, error: TapsterError) async {
        let claimed = String(name.prefix(ResourceName.maximumLength))
        var details = ["reason": String(error.message.prefix(512)), "code": error.code.rawValue]
        details["token"] = (try? JoinToken(parsing: text))?.id
        details["address"] = address
        let actor = (try? ResourceName.validate(name, field: "name")) != nil ? Self.agentActor(name)
            : Principal(userID: "", name: "agent/?", role: .auditor, tenants: [])
        // Anyone who reaches the channel can be refused: at most one event per network (/24, /64) and interval.
        await refusals.auditRefusal(AuditEntry(actor: actor.name, action: AuditAction.agentEnrolmentRefused, objectType: ResourceKind.agent.rawValue,
                                      objectName: claimed, details: details),
                           subject: address.map(RefusalAuditLimiter.prefix) ?? "name:\(claimed)", source: address)
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

    /// Records that `name` opened its control channel with `hello`, from `address`; audited as
    /// `agent.connected`, and a changed tunnel address also as `agent.tunnel_address_changed`. A tunnel
    /// address must be one other hosts can send to (``TunnelAddress``) and no other agent's: frames for
    /// `port` targets are sent to it and accepted by source address, so claiming another host's would
    /// receive or forge that host's mirrors. It need not be the address the agent connects from (hosts
    /// often reach the server over another network than the one their tunnels use).
    func agentConnected(_ name: String, hello: Tapster_Agent_V1_Hello, address: String?) async throws {
        let tunnel = try hello.tunnelAddress.isEmpty ? nil : TunnelAddress.validate(hello.tunnelAddress).description
        let at = now
        try await store.transaction { session in
            guard var agent = try await session.lockAgent(named: name), agent.state != .revoked else { return }
            // Checked when the address changes (a reconnecting fleet costs no scan of every agent): an
            // address kept is still this agent's, since no other agent could claim it while this one held it.
            if let tunnel, tunnel != agent.tunnelAddress, let holder = try await session.listAgents().first(where: {
                $0.name != name && $0.state != .revoked && $0.tunnelAddress == tunnel
            }) {
                throw TapsterError.invalid("tunnel_address", "the tunnel address \(tunnel) is agent \(holder.name)'s; each host needs its own")
            }
            let previousTunnel = agent.tunnelAddress
            agent.state = .connected
            agent.version = hello.version.isEmpty ? agent.version : String(hello.version.prefix(128))
            agent.hostname = hello.hostname.isEmpty ? nil : String(hello.hostname.prefix(255))
            agent.tunnelAddress = tunnel
            agent.address = address
            agent.appliedRevision = hello.appliedRevision
            agent.connectedAt = at
            agent.lastSeenAt = at
            try await session.upsertAgent(agent)
            var details = ["version": agent.version ?? ""]
            details["address"] = address
            details["tunnel_address"] = tunnel
            details["hostname"] = agent.hostname
            try await audit(session, Self.agentActor(name), AuditAction.agentConnected, .agent, id: agent.id, name: name, tenant: nil,
                            details: details)
            if previousTunnel != tunnel {
                var change: [String: String] = [:]
                change["from"] = previousTunnel
                change["to"] = tunnel
                try await audit(session, Self.agentActor(name), AuditAction.agentTunnelAddressChanged, .agent, id: agent.id, name: name,
                                tenant: nil, details: change)
            }
        }
        presence.connected(name, at: at, appliedRevision: hello.appliedRevision)
        tapCounters.forget(agent: name)
        changes.publish(.agent(name: name, .updated))
    }

    /// Records that a message arrived from `name`; a status report also tells the revision it applied.
    /// Kept in memory and written in batches (``AgentPresence``, ``flushPresence()``).
    func agentSeen(_ name: String, appliedRevision: UInt64? = nil) {
        presence.seen(name, at: now, appliedRevision: appliedRevision)
    }

    /// Writes every agent's "last seen" and applied revision the store is behind on, in one transaction;
    /// only to agents still connected (a disconnect written meanwhile stays).
    func flushPresence() async throws {
        let due = presence.due()
        guard !due.isEmpty else { return }
        try await store.transaction { session in
            for (name, sighting) in due.sorted(by: { $0.key < $1.key }) {
                guard var agent = try await session.lockAgent(named: name), agent.state == .connected else { continue }
                agent.lastSeenAt = max(agent.lastSeenAt ?? sighting.seenAt, sighting.seenAt)
                if let revision = sighting.appliedRevision { agent.appliedRevision = revision }
                try await session.upsertAgent(agent)
            }
        }
        presence.stored(due)
    }

    /// Records that `name`'s control channel closed.
    func agentDisconnected(_ name: String) async throws {
        presence.disconnected(name)
        try await updateAgent(name) { agent, at in
            if agent.state == .connected { agent.state = .disconnected }
        }
    }

    /// Replaces the workloads `name` reported before with `inventory` (see ``InventoryMerge``).
    /// Returns the reports it skipped, with why.
    @discardableResult
    func reportInventory(_ name: String, _ inventory: Tapster_Agent_V1_Inventory) async throws -> [String] {
        let changes = try await store.transaction { session in
            let tenancy = try await WorkloadTenancy.load(from: session)
            let existing = try await session.listWorkloads(onHost: name)
            let changes = InventoryMerge.merge(inventory, agent: name, existing: existing, tenancy: tenancy, now: now)
            // Every change is audited: a workload's tenant and labels decide who may tap it.
            let actor = Self.agentActor(name)
            let before = Dictionary(existing.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            for workload in changes.deleted {
                try await session.delete(id: workload.id, from: .workloads)
                try await audit(session, actor, AuditAction.deleted("workload"), .workload, id: workload.id,
                                name: "\(workload.host)/\(workload.name)", tenant: workload.tenant, details: ["via": "inventory"])
            }
            for workload in changes.updated {
                try await session.update(workload, in: .workloads)
                var details = Self.inventoryAuditDetails(workload)
                if let earlier = before[workload.id] {
                    details["previous_tenant"] = earlier.tenant ?? ""
                    details["previous_labels"] = LabelSelector(matching: earlier.labels).description
                }
                try await audit(session, actor, AuditAction.updated("workload"), .workload, id: workload.id,
                                name: "\(workload.host)/\(workload.name)", tenant: workload.tenant, details: details)
            }
            for workload in changes.inserted {
                try await session.insert(workload, into: .workloads)
                try await audit(session, actor, AuditAction.created("workload"), .workload, id: workload.id,
                                name: "\(workload.host)/\(workload.name)", tenant: workload.tenant, details: Self.inventoryAuditDetails(workload))
            }
            return changes
        }
        self.changes.publish(changes.deleted.map { .workload(id: $0.id, host: $0.host, .deleted) }
                             + changes.updated.map { .workload(id: $0.id, host: $0.host, .updated) }
                             + changes.inserted.map { .workload(id: $0.id, host: $0.host, .created) })
        if !changes.rejected.isEmpty {
            logger.warning("agent reported workloads that cannot be stored", metadata: [
                "agent": "\(name)", "rejected": "\(changes.rejected.joined(separator: "; "))"])
        }
        return changes.rejected
    }

    /// Stores `name`'s status of each tap it reports, for `tapster tap get` and `/metrics` — only of taps
    /// planned for it (``AgentHub/assignments(of:to:refresh:)``). A status of a live tap that is not is
    /// refused (`forbidden`, audited as `agent.report_refused`): an agent never writes another host's
    /// status. Statuses of taps that are gone or no longer live and were not planned for it are dropped.
    /// Of its recorders' statuses only those of recorders planned for it are kept (the same assignments,
    /// ``AgentHub/recorderAssignments(of:to:)``); the others — a recorder of another host, a made-up name —
    /// are dropped, with a warning at most once a minute (``RecorderStatuses/refused(host:_:at:)``).
    func reportStatus(_ name: String, _ report: Tapster_Agent_V1_StatusReport, address: String? = nil) async throws {
        let assigned = try await agentHub.recorderAssignments(of: report.recorders.map(\.name), to: name)
        let (kept, dropped) = (report.recorders.filter { assigned.contains($0.name) }, report.recorders.filter { !assigned.contains($0.name) })
        recorderStatuses.record(host: name, kept, at: now)
        if !dropped.isEmpty, let warning = recorderStatuses.refused(host: name, dropped.map(\.name), at: now) {
            logger.warning("recorder statuses dropped: not planned for the agent", metadata: [
                "agent": "\(name)", "recorders": "\(warning.names.joined(separator: ", "))", "dropped_since_last_warning": "\(warning.count)"])
        }
        let reported = report.taps.filter { Identifier.isIdentifier($0.tapID) }
        guard !reported.isEmpty else { return }
        let planned = try await agentHub.assignments(of: reported.map(\.tapID), to: name)
        let at = now
        // A status the same as the one last stored is not written again (an idle tap reports the same
        // counters every second): only its time moves, in memory.
        let changed = reported.filter { tap in
            let status = Self.status(of: tap, agent: name, at: at)
            guard planned[tap.tapID] != nil, tapCounters.holds(tapID: tap.tapID, status) else { return true }
            tapCounters.record(tapID: tap.tapID, status)
            return false
        }
        guard !changed.isEmpty else { return }
        let (statuses, refused) = try await store.transaction { session in
            var stored: [(String, TapAgentStatus)] = []
            var refused: String?
            for tap in changed {
                guard let found = try await session.findTap(id: tap.tapID) else { continue }
                guard planned[tap.tapID] != nil else {
                    if found.state.isLive, refused == nil { refused = tap.tapID }
                    continue
                }
                let status = Self.status(of: tap, agent: name, at: at)
                try await session.upsertTapAgentStatus(tapID: tap.tapID, status)
                stored.append((tap.tapID, status))
            }
            return (stored, refused)
        }
        for (tapID, status) in statuses { tapCounters.record(tapID: tapID, status) }
        if let refused {
            let error = TapsterError(.forbidden, "tap \(refused) is not planned for agent \(name): it may not report its status")
            logger.warning("tap status refused", metadata: ["agent": "\(name)", "tap": "\(refused)"])
            await auditRefusedReport(agent: name, kind: "status", tapID: refused, reason: error, address: address)
            throw error
        }
    }

    /// Records that agent `name` sent `kind` (`packets`, `status`) for `tapID`, which it may not, and why —
    /// at most once a minute per agent (an enrolled rogue agent could otherwise fill the log with made-up
    /// ids), the rest counted (``RefusalAuditLimiter``).
    func auditRefusedReport(agent name: String, kind: String, tapID: String, reason: TapsterError, address: String?) async {
        var details = ["kind": kind, "reason": String(reason.message.prefix(512)), "tap": String(tapID.prefix(64))]
        details["address"] = address
        await refusals.auditRefusal(AuditEntry(actor: Self.agentActor(name).name, action: AuditAction.agentReportRefused, objectType: ResourceKind.agent.rawValue,
                                      objectName: name, details: details),
                           subject: "agent:\(name)", source: address)
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
                              packets: tap.packets, bytes: tap.bytes, drops: drops.total, dropsByCause: drops,
                              datapath: TapAgentStatus.Datapath(rawValue: tap.datapath),
                              datapathReason: tap.datapathReason.isEmpty ? nil : String(tap.datapathReason.prefix(512)),
                              flowsDropped: tap.flowsDropped == 0 ? nil : tap.flowsDropped, httpUnparsed: tap.httpUnparsed == 0 ? nil : tap.httpUnparsed,
                              updatedAt: at)
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
    /// What the audit keeps of a workload an agent reported: its tenant and labels, which decide who may tap it.
    static func inventoryAuditDetails(_ workload: Workload) -> [String: String] {
        ["via": "inventory", "tenant": workload.tenant ?? "", "labels": LabelSelector(matching: workload.labels).description]
    }

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
