import Foundation
import TapsterCore

/// ``SQLStore``'s own operations: each runs the ``SQLSession`` operation of the same name on a
/// connection of its own. Listings decode their rows once the connection is released (``FetchedRows``).
extension SQLStore {
    public func insert<Spec>(_ record: Record<Spec>, into collection: RecordCollection<Spec>) async throws {
        try await onConnection { try await $0.insert(record, into: collection) }
    }

    @discardableResult
    public func update<Spec>(_ record: Record<Spec>, in collection: RecordCollection<Spec>) async throws -> Bool {
        try await onConnection { try await $0.update(record, in: collection) }
    }

    @discardableResult
    public func delete<Spec>(id: String, from collection: RecordCollection<Spec>) async throws -> Bool {
        try await onConnection { try await $0.delete(id: id, from: collection) }
    }

    public func find<Spec>(_ reference: String, in collection: RecordCollection<Spec>) async throws -> Record<Spec>? {
        try await onConnection { try await $0.find(reference, in: collection) }
    }

    public func list<Spec>(_ collection: RecordCollection<Spec>, tenants: Set<String>?) async throws -> [Record<Spec>] {
        try await onConnection { try await $0.fetchList(collection, tenants: tenants) }.values()
    }

    public func insertUser(_ user: User, passwordHash: String?) async throws {
        try await onConnection { try await $0.insertUser(user, passwordHash: passwordHash) }
    }

    @discardableResult
    public func updateUser(_ user: User) async throws -> Bool {
        try await onConnection { try await $0.updateUser(user) }
    }

    @discardableResult
    public func deleteUser(id: String) async throws -> Bool {
        try await onConnection { try await $0.deleteUser(id: id) }
    }

    public func findUser(_ reference: String) async throws -> User? {
        try await onConnection { try await $0.findUser(reference) }
    }

    public func findUser(externalKey: String) async throws -> User? {
        try await onConnection { try await $0.findUser(externalKey: externalKey) }
    }

    public func lockUser(id: String) async throws -> User? {
        try await onConnection { try await $0.lockUser(id: id) }
    }

    public func listUsers() async throws -> [User] {
        try await onConnection { try await $0.listUsers() }
    }

    public func credentials(userName: String) async throws -> StoredCredentials? {
        try await onConnection { try await $0.credentials(userName: userName) }
    }

    public func setPassword(userID: String, hash: String, mustChange: Bool) async throws {
        try await onConnection { try await $0.setPassword(userID: userID, hash: hash, mustChange: mustChange) }
    }

    public func insertToken(_ token: APIToken, secretHash: String) async throws {
        try await onConnection { try await $0.insertToken(token, secretHash: secretHash) }
    }

    public func listTokens(userID: String) async throws -> [APIToken] {
        try await onConnection { try await $0.listTokens(userID: userID) }
    }

    @discardableResult
    public func deleteToken(id: String, userID: String) async throws -> Bool {
        try await onConnection { try await $0.deleteToken(id: id, userID: userID) }
    }

    @discardableResult
    public func deleteTokens(userID: String, keeping: String?) async throws -> Int {
        try await onConnection { try await $0.deleteTokens(userID: userID, keeping: keeping) }
    }

    @discardableResult
    public func purgeExpiredTokens(at time: Date) async throws -> Int {
        try await onConnection { try await $0.purgeExpiredTokens(at: time) }
    }

    public func findToken(secretHash: String) async throws -> (token: APIToken, user: User)? {
        try await onConnection { try await $0.findToken(secretHash: secretHash) }
    }

    public func touchToken(id: String, at: Date) async throws {
        try await onConnection { try await $0.touchToken(id: id, at: at) }
    }

    public func insertTap(_ tap: Tap) async throws {
        try await onConnection { try await $0.insertTap(tap) }
    }

    public func findTap(id: String) async throws -> Tap? {
        try await onConnection { try await $0.findTap(id: id) }
    }

    public func listTaps(_ query: TapQuery) async throws -> [Tap] {
        try await onConnection { try await $0.fetchTaps(query) }.values()
    }

    public func recordMatchedWorkloads(_ count: Int, tapID: String) async throws {
        try await onConnection { try await $0.recordMatchedWorkloads(count, tapID: tapID) }
    }

    public func updateTap(_ tap: Tap, ifStateIs expected: TapState) async throws -> Bool {
        try await onConnection { try await $0.updateTap(tap, ifStateIs: expected) }
    }

    public func dueTaps(at now: Date) async throws -> [Tap] {
        try await onConnection { try await $0.dueTaps(at: now) }
    }

    public func nextDeadline() async throws -> Date? {
        try await onConnection { try await $0.nextDeadline() }
    }

    public func liveTapCount(ownerID: String) async throws -> Int {
        try await onConnection { try await $0.liveTapCount(ownerID: ownerID) }
    }

    public func upsertTapAgentStatus(tapID: String, _ status: TapAgentStatus) async throws {
        try await onConnection { try await $0.upsertTapAgentStatus(tapID: tapID, status) }
    }

    public func tapAgentStatuses(tapID: String) async throws -> [TapAgentStatus] {
        try await onConnection { try await $0.tapAgentStatuses(tapID: tapID) }
    }

    public func upsertAgent(_ agent: Agent) async throws {
        try await onConnection { try await $0.upsertAgent(agent) }
    }

    public func findAgent(_ reference: String) async throws -> Agent? {
        try await onConnection { try await $0.findAgent(reference) }
    }

    public func listAgents() async throws -> [Agent] {
        try await onConnection { try await $0.fetchAgents() }.values()
    }

    public func lockAgent(named name: String) async throws -> Agent? {
        try await onConnection { try await $0.lockAgent(named: name) }
    }

    @discardableResult
    public func deleteAgent(id: String) async throws -> Bool {
        try await onConnection { try await $0.deleteAgent(id: id) }
    }

    public func insertAgentJoinToken(_ token: AgentJoinToken, secretHash: String) async throws {
        try await onConnection { try await $0.insertAgentJoinToken(token, secretHash: secretHash) }
    }

    public func listAgentJoinTokens() async throws -> [AgentJoinToken] {
        try await onConnection { try await $0.listAgentJoinTokens() }
    }

    public func findAgentJoinToken(id: String) async throws -> (token: AgentJoinToken, secretHash: String)? {
        try await onConnection { try await $0.findAgentJoinToken(id: id) }
    }

    public func redeemAgentJoinToken(id: String, by agent: String, at time: Date) async throws -> Bool {
        try await onConnection { try await $0.redeemAgentJoinToken(id: id, by: agent, at: time) }
    }

    public func insertRevokedSerial(_ serial: String, agent: String, at time: Date) async throws {
        try await onConnection { try await $0.insertRevokedSerial(serial, agent: agent, at: time) }
    }

    public func revokedSerials() async throws -> [String] {
        try await onConnection { try await $0.revokedSerials() }
    }

    public func insertCapture(_ capture: Capture) async throws {
        try await onConnection { try await $0.insertCapture(capture) }
    }

    public func findCapture(id: String) async throws -> Capture? {
        try await onConnection { try await $0.findCapture(id: id) }
    }

    public func listCaptures(_ query: CaptureQuery) async throws -> [Capture] {
        try await onConnection { try await $0.listCaptures(query) }
    }

    @discardableResult
    public func updateCapture(_ capture: Capture, ifStateIs expected: Capture.State?) async throws -> Bool {
        try await onConnection { try await $0.updateCapture(capture, ifStateIs: expected) }
    }

    public func expiredCaptures(at now: Date) async throws -> [Capture] {
        try await onConnection { try await $0.expiredCaptures(at: now) }
    }

    public func nextCaptureExpiry() async throws -> Date? {
        try await onConnection { try await $0.nextCaptureExpiry() }
    }

    @discardableResult
    public func insertCaptureReader(captureID: String, userID: String, grantedBy: String, at time: Date) async throws -> Bool {
        try await onConnection { try await $0.insertCaptureReader(captureID: captureID, userID: userID, grantedBy: grantedBy, at: time) }
    }

    @discardableResult
    public func deleteCaptureReader(captureID: String, userID: String) async throws -> Bool {
        try await onConnection { try await $0.deleteCaptureReader(captureID: captureID, userID: userID) }
    }

    public func readerCaptureIDs(userID: String) async throws -> [String] {
        try await onConnection { try await $0.readerCaptureIDs(userID: userID) }
    }

    public func appendAudit(_ entry: AuditEntry, at time: Date) async throws -> AuditEvent {
        try await onConnection { try await $0.appendAudit(entry, at: time) }
    }

    public func auditEvents(_ query: AuditQuery) async throws -> [AuditEvent] {
        try await onConnection { try await $0.auditEvents(query) }
    }

    public func verifyAudit() async throws -> AuditVerification {
        try await onConnection { try await $0.verifyAudit() }
    }

    public func setting(_ key: String) async throws -> String? {
        try await onConnection { try await $0.setting(key) }
    }

    public func setSetting(_ key: String, _ value: String) async throws {
        try await onConnection { try await $0.setSetting(key, value) }
    }
}
