import TapsterCore

/// The audit log.
extension CommandSession {
    /// Checks the audit log's hash chain; prints the outcome, and fails naming the first broken link.
    public func verifyAudit() async throws {
        let answer = try await client.get(APIPath.api("audit", "verify"), as: AuditVerification.self)
        try show(answer)
        let result = answer.value
        guard result.valid else {
            let at = result.firstBrokenSequence.map { " at event \($0)" } ?? ""
            throw CommandFailure("audit_chain_broken",
                                 "the audit chain is broken\(at) (\(result.checked) events verified before it): \(result.reason ?? "no reason given")")
        }
    }
}
