import Logging
import TapsterCore
import TapsterStore

extension CaptureService {
    /// Cuts every live stream whose reader may no longer read its packets — the user was deleted or
    /// disabled, lost the entitlement an admin gave, or left the capture's tenant — so that a right to
    /// packets is held while reading, not only when attaching. Checked against the store each round of the
    /// expiry scheduler (level-triggered: whatever path took the right away); the capture ends
    /// `reader_revoked`, audited.
    public func cutStreamsNoLongerAllowed() async {
        for (captureID, userID) in await broker.attachedReaders {
            do {
                let user = try await store.findUser(userID)
                let capture = try await store.findCapture(id: captureID)
                if let capture, let user, user.id == userID, !user.disabled, Policy.mayReadPackets(user.principal, of: capture.ownership) {
                    continue
                }
                await broker.readerRevoked(captureID)
                try await store.transaction { session in
                    try await audit(session, .system, AuditAction.captureStreamDetached, .capture, id: captureID, name: nil,
                                    tenant: capture?.tenant ?? nil, details: ["reason": CaptureEndReason.readerRevoked.rawValue,
                                                                               "user_id": userID, "user": user?.name ?? ""])
                }
            } catch {
                logger.error("checking a live stream's reader failed", metadata: ["capture": "\(captureID)", "error": "\(error)"])
            }
        }
    }
}
