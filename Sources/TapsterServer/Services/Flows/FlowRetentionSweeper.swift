import Foundation
import Logging
import ServiceLifecycle

/// Deletes flow records (and their HTTP exchanges) older than the flow retention, once a minute, without any
/// request arriving. Several replicas may sweep at once: a delete is idempotent.
struct FlowRetentionSweeper: Service {
    let flows: FlowService
    let logger: Logger
    var interval: Duration = .seconds(60)

    func run() async throws {
        // Its sleeps are long: a graceful shutdown cancels it rather than waiting for one to end.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let pruned = try await flows.pruneExpired()
                    if pruned > 0 { logger.info("flow records past their retention deleted", metadata: ["flows": "\(pruned)"]) }
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("deleting old flow records failed; retrying", metadata: ["error": "\(error)"])
                }
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }
}
