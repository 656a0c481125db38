import Foundation
import TapsterAPI
import TapsterCore
import TapsterStore

/// Readers of a capture's packets beyond its owner and admins: an admin entitles an auditor or an owner
/// of the capture's tenant (``Policy/requireEntitleable(_:toRead:reference:)``), by user id, and revokes
/// them; each change is audited with the admin as the actor. The capture's record lists its readers, and
/// ``Policy/mayReadPackets(_:of:)`` decides with them on every path to packets (live stream, download link).
extension CaptureService {
    /// Entitles `request.user` to read the packets of capture `id`; returns the capture with its readers.
    /// Entitling a reader again changes nothing (and audits nothing).
    public func entitleCaptureReader(_ p: Principal, _ id: String, _ request: CaptureReaderRequest) async throws -> Capture {
        let capture = try await store.findCapture(id: id)
        try Policy.requireReaderManagement(p, capture?.ownership, reference: id)
        guard let capture else { throw TapsterError.notFound("capture", id) }
        guard let user = try await store.findUser(request.user) else {
            throw TapsterError.invalid("user", "there is no user \"\(request.user)\"")
        }
        try Policy.requireEntitleable(user, toRead: capture.ownership, reference: id)
        try await store.transaction { session in
            // Decided again on the user as it is now, locked: a concurrent disable or tenant change either
            // waits for this entitlement (and then revokes it) or is seen here (and refuses it).
            guard let current = try await session.lockUser(id: user.id) else {
                throw TapsterError.invalid("user", "there is no user \"\(request.user)\"")
            }
            try Policy.requireEntitleable(current, toRead: capture.ownership, reference: id)
            guard try await session.insertCaptureReader(captureID: capture.id, userID: user.id, grantedBy: p.name, at: now) else { return }
            try await audit(session, p, AuditAction.captureReaderGranted, .capture, id: capture.id, name: nil, tenant: capture.tenant,
                            details: ["user": user.name, "user_id": user.id, "owner": capture.owner])
        }
        return try await self.capture(p, id)
    }

    /// Ends the entitlement of `userReference` (a name or id) to read the packets of capture `id`: 404
    /// when there is none.
    public func revokeCaptureReader(_ p: Principal, _ id: String, user userReference: String) async throws {
        let capture = try await store.findCapture(id: id)
        try Policy.requireReaderManagement(p, capture?.ownership, reference: id)
        guard let capture else { throw TapsterError.notFound("capture", id) }
        guard let user = try await store.findUser(userReference), capture.ownership.readerIDs.contains(user.id) else {
            throw TapsterError(.notFound, "user \"\(userReference)\" is not entitled to read the packets of capture \(id)")
        }
        try await store.transaction { session in
            guard try await session.deleteCaptureReader(captureID: capture.id, userID: user.id) else {
                throw TapsterError(.notFound, "user \"\(userReference)\" is not entitled to read the packets of capture \(id)")
            }
            try await audit(session, p, AuditAction.captureReaderRevoked, .capture, id: capture.id, name: nil, tenant: capture.tenant,
                            details: ["user": user.name, "user_id": user.id, "owner": capture.owner, "reason": "revoked"])
        }
    }

    /// Ends, in `session`, each of `user`'s entitlements to read captures' packets that the policy no longer
    /// allows — every one when the user is being deleted — each audited with `p` as the actor and `reason`.
    /// Run in the transaction that changes or deletes the user, so no entitlement outlives what allowed it.
    func revokeReaderEntitlements(of user: User, deleting: Bool, by p: Principal, reason: String, session: any StoreSession) async throws {
        for id in try await session.readerCaptureIDs(userID: user.id) {
            let capture = try await session.findCapture(id: id)
            if !deleting, let capture, Policy.isEntitleable(user, toRead: capture.ownership) { continue }
            guard try await session.deleteCaptureReader(captureID: id, userID: user.id) else { continue }
            try await audit(session, p, AuditAction.captureReaderRevoked, .capture, id: id, name: nil, tenant: capture?.tenant ?? nil,
                            details: ["user": user.name, "user_id": user.id, "owner": capture?.owner ?? "", "reason": reason])
        }
    }
}
