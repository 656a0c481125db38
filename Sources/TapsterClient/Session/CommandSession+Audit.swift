import TapsterCore

/// The audit log.
extension CommandSession {
    /// Lists one page of audit events, newest first; when older ones remain, says (on standard error)
    /// how to read the next page.
    public func listAudit(query: String) async throws {
        let answer = try await client.get(Resources.audit.url + query, as: AuditPage.self)
        try show(APIResponse(value: answer.value.items, json: answer.json))
        if let before = answer.value.nextBefore, renderer.format == .table {
            Console.error("More, older events: add --before \(before)")
        }
    }

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
