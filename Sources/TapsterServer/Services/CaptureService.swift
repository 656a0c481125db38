import Foundation
import Logging
import ServiceLifecycle
import TapsterCore

/// Runs the capture broker while the server runs: connects it to the control plane (so it can stop
/// captures' taps and record their ends), fails the captures a previous run left live, and ticks it
/// (quiet periods flushed, deadlines, readers and drains checked). On a graceful shutdown it ends every
/// capture properly before it returns.
struct CaptureService: Service {
    let controlPlane: ControlPlane
    let logger: Logger

    func run() async throws {
        let broker = controlPlane.captures
        await broker.connect(ControlPlaneCaptureRecorder(controlPlane: controlPlane))
        do {
            try await controlPlane.failOrphanedCaptures()
        } catch {
            logger.error("failing the captures a previous run left live failed", metadata: ["error": "\(error)"])
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await broker.run() }
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
    let controlPlane: ControlPlane
    let logger: Logger

    func run() async throws {
        // Its sleeps are long: a graceful shutdown cancels it rather than waiting for one to end.
        await cancelWhenGracefulShutdown { await sweep() }
    }

    private func sweep() async {
        let interval = controlPlane.captures.settings.sweepInterval
        while !Task.isCancelled {
            var sleep = interval
            do {
                for capture in try await controlPlane.sweepExpiredCaptures() {
                    logger.info("stored capture expired and deleted", metadata: ["capture": "\(capture.id)", "owner": "\(capture.owner)"])
                }
            } catch is CancellationError {
                return
            } catch {
                logger.error("deleting expired captures failed; retrying", metadata: ["error": "\(error)"])
                sleep = min(interval, .seconds(5))
            }
            if sleep == interval, let next = try? await controlPlane.nextCaptureExpiry() {
                let until = next.timeIntervalSince(controlPlane.now)
                sleep = min(sleep, .milliseconds(max(Int(until * 1000) + 1, 1)))
            }
            do { try await Task.sleep(for: sleep) } catch { return }
        }
    }
}
