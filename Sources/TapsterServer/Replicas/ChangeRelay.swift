import Foundation
import Logging
import ServiceLifecycle
import TapsterStore

/// Carries the ``ChangeFeed`` between replicas sharing one PostgreSQL database: every batch published
/// here is sent with `NOTIFY` on ``channel`` (``ChangeNotification``), and every other replica's batch,
/// heard on a dedicated `LISTEN`ing connection, is republished on the local feed, so that the agent hub
/// and the capture broker cannot tell a remote change from a local one.
///
/// A notification is sent after its transaction committed (the feed is published then): a replica that
/// dies in between loses it, which the subscribers' periodic re-reading covers. When the listening
/// connection is lost the relay logs it, reconnects with backoff and then publishes ``Change/everything``:
/// what was sent meanwhile is gone, so every subscriber re-reads everything. SQLite needs no relay.
struct ChangeRelay: Service {
    /// The one PostgreSQL channel of the change feed.
    static let channel = "tapster_changes"
    /// The first wait before reconnecting, doubled after each failure up to ``longestBackoff``.
    static let shortestBackoff: Duration = .milliseconds(250)
    static let longestBackoff: Duration = .seconds(10)

    /// How the listening connection of replica `name` appears in `pg_stat_activity` (at most 63 bytes).
    static func applicationName(_ name: String) -> String {
        String("tapster change feed \(name)".utf8.prefix(63)) ?? "tapster change feed"
    }

    let store: SQLStore
    let feed: ChangeFeed
    let replica: ReplicaState
    let logger: Logger
    /// Subscribed at once, so that nothing published before ``run()`` starts is lost.
    private let outgoing: ChangeFeed.OutgoingSubscription

    init(store: SQLStore, feed: ChangeFeed, replica: ReplicaState, logger: Logger) {
        self.store = store
        self.feed = feed
        self.replica = replica
        self.logger = logger
        self.outgoing = feed.subscribeOutgoing()
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await send() }
                group.addTask { await listen() }
            }
        }
    }

    /// Sends every local batch to the other replicas, in order.
    private func send() async {
        for await batch in outgoing {
            let payloads = ChangeNotification.payloads(replica: replica.identity.name, instance: replica.instance, changes: batch)
            do {
                try await store.notify(channel: Self.channel, payloads: payloads)
                replica.countSent(payloads.count)
            } catch {
                // The others re-read everything periodically; this replica carries on.
                logger.error("could not send changes to the other replicas; they see them at their next periodic re-read",
                             metadata: ["replica": "\(replica.identity.name)", "changes": "\(batch.count)", "error": "\(error)"])
            }
        }
    }

    /// Listens until cancelled, reconnecting with backoff whenever the connection is lost.
    private func listen() async {
        var backoff = Self.shortestBackoff
        while !Task.isCancelled {
            do {
                try await store.listen(on: Self.channel, applicationName: Self.applicationName(replica.identity.name),
                                       listening: { connected() }, receive: { receive($0) })
            } catch is CancellationError {
                return
            } catch {
                if replica.setFeed(.lost) == .listening {
                    backoff = Self.shortestBackoff
                    logger.error("lost the change feed from the other replicas: their changes are not seen until it is back; reconnecting",
                                 metadata: ["replica": "\(replica.identity.name)", "error": "\(error)"])
                } else {
                    logger.warning("cannot listen to the other replicas' changes yet; retrying",
                                   metadata: ["replica": "\(replica.identity.name)", "retry_in": "\(backoff)", "error": "\(error)"])
                }
            }
            do { try await Task.sleep(for: backoff) } catch { return }
            backoff = min(backoff * 2, Self.longestBackoff)
        }
    }

    /// The listening connection is up: after a loss, whatever was sent meanwhile must be re-read.
    private func connected() {
        switch replica.setFeed(.listening) {
        case .lost:
            replica.countReconnect()
            logger.notice("the change feed from the other replicas is back; re-reading everything that may have changed meanwhile",
                          metadata: ["replica": "\(replica.identity.name)"])
            feed.publishRelayed([.everything])
        case .connecting:
            logger.info("listening to the other replicas' changes", metadata: ["replica": "\(replica.identity.name)", "channel": "\(Self.channel)"])
        case .listening, .notNeeded:
            break
        }
    }

    private func receive(_ payload: String) {
        guard let notification = ChangeNotification(payload: payload) else {
            logger.warning("ignored a notification on the change channel that is not a change", metadata: ["payload": "\(payload.prefix(200))"])
            return
        }
        guard notification.instance != replica.instance else { return }
        replica.countReceived()
        feed.publishRelayed(notification.changes)
    }
}
