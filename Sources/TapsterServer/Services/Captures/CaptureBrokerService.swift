import Foundation
import Logging
import ServiceLifecycle
import TapsterCore

/// Runs the capture broker while the server runs: connects it to the capture service (so it can stop
/// captures' taps and record their ends), fails the captures a previous run left live, and ticks it
/// (quiet periods flushed, deadlines, readers and drains checked). On a graceful shutdown it ends every
/// capture properly before it returns.
struct CaptureBrokerService: Service {
    let captures: CaptureService
    let logger: Logger

    func run() async throws {
        let broker = captures.broker
        // Subscribed first, so no tap that ends from now on is missed (on this replica or another).
        let tapChanges = captures.changes.subscribe()
        await broker.connect(CaptureServiceRecorder(captures: captures))
        do {
            try await captures.failOrphanedCaptures()
        } catch {
            logger.error("failing the captures a previous run left live failed", metadata: ["error": "\(error)"])
        }
        do {
            // Those waiting for approval lose nothing: watched again, and started or ended if decided meanwhile.
            try await captures.resumePendingCaptures()
        } catch {
            logger.error("resuming the captures waiting for approval failed", metadata: ["error": "\(error)"])
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await broker.run() }
            group.addTask { [store = captures.store] in await broker.follow(tapChanges, taps: store) }
            try? await gracefulShutdown()
            await broker.shutDown()
            group.cancelAll()
        }
        await broker.connect(nil)
    }
}

/// Deletes stored captures when their retention ends, without any request arriving: sleeps until the
/// next expiry (at most the sweep interval) and deletes every due object, audited as the system.
struct CaptureRetentionSweeper: Service {
    let captures: CaptureService
    let logger: Logger

    func run() async throws {
        // Its sleeps are long: a graceful shutdown cancels it rather than waiting for one to end.
        await cancelWhenGracefulShutdown { await sweep() }
    }

    private func sweep() async {
        let interval = captures.broker.settings.sweepInterval
        while !Task.isCancelled {
            var sleep = interval
            do {
                for capture in try await captures.sweepExpiredCaptures() {
                    logger.info("stored capture expired and deleted", metadata: ["capture": "\(capture.id)", "owner": "\(capture.owner)"])
                }
            } catch is CancellationError {
                return
            } catch {
                logger.error("deleting expired captures failed; retrying", metadata: ["error": "\(error)"])
                sleep = min(interval, .seconds(5))
            }
            if sleep == interval, let next = try? await captures.nextCaptureExpiry() {
                let until = next.timeIntervalSince(captures.now)
                sleep = min(sleep, .milliseconds(max(Int(until * 1000) + 1, 1)))
            }
            do { try await Task.sleep(for: sleep) } catch { return }
        }
    }
}
