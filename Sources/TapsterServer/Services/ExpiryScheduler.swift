import Foundation
import Logging
import ServiceLifecycle
import TapsterCore
import TapsterStore

/// Expires taps at their deadline without any request arriving: sleeps until the next
/// deadline (at most ``maximumSleep``, so taps created meanwhile are seen in time) and
/// marks every due tap `expired`. On start it first expires what passed while the server was down.
/// Each round it also cuts live streams whose reader may no longer read them
/// (``CaptureService/cutStreamsNoLongerAllowed()``). Every ``purgeInterval`` it also deletes expired API tokens and portal sessions, and audits the counts of
/// rate-limited refusals that stopped (``RefusalAuditor/auditOverdueRefusals()``).
struct ExpiryScheduler: Service {
    static let maximumSleep: Duration = .milliseconds(250)
    static let purgeInterval: TimeInterval = 60

    let taps: TapService
    let captures: CaptureService
    let identity: IdentityService
    let refusals: RefusalAuditor
    let logger: Logger

    func run() async throws {
        var lastPurge = Date.distantPast
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                await captures.cutStreamsNoLongerAllowed()
                for tap in try await taps.expireDueTaps() {
                    logger.info("tap expired", metadata: ["tap": "\(tap.id)", "owner": "\(tap.owner)"])
                }
                if taps.now.timeIntervalSince(lastPurge) >= Self.purgeInterval {
                    lastPurge = taps.now
                    let purged = try await identity.purgeExpiredTokens()
                    if purged > 0 { logger.info("expired tokens and sessions deleted", metadata: ["count": "\(purged)"]) }
                    await refusals.auditOverdueRefusals()
                }
            } catch is CancellationError {
                return
            } catch {
                logger.error("expiring taps failed; retrying", metadata: ["error": "\(error)"])
            }
            var sleep = Self.maximumSleep
            if let next = try? await taps.store.nextDeadline() {
                let until = next.timeIntervalSince(taps.now)
                sleep = min(sleep, .milliseconds(max(Int(until * 1000) + 1, 1)))
            }
            try? await Task.sleep(for: sleep)
        }
    }
}
